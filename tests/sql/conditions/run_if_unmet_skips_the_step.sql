begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('vip_flow');
select pgflow.add_step('vip_flow', 'check_vip');
select pgflow.add_step('vip_flow', 'special_vip_step', deps => array['check_vip'], run_if => '{"run": {"userIsVIP": true}}');
select pgflow.start_flow('vip_flow', '{"userIsVIP": false}', 'c1000000-0000-4000-8000-000000000002');
select pgflow_tests.set_now('2030-01-01 00:00:07+00');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000002', 'check_vip', '"checked"');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000002', 'special_vip_step'), 'skipped', 'an unmet run_if skips the step');
select is(
  (select skip_reason from pgflow.step_states
   where run_id = 'c1000000-0000-4000-8000-000000000002' and step_slug = 'special_vip_step'),
  'condition_unmet', 'skip_reason says why'
);
select is(
  (select skipped_at from pgflow.step_states
   where run_id = 'c1000000-0000-4000-8000-000000000002' and step_slug = 'special_vip_step'),
  '2030-01-01 00:00:07+00'::timestamptz, 'skipped_at is when it became ready'
);
select is(
  (select count(*)::int from pgflow.step_tasks
   where run_id = 'c1000000-0000-4000-8000-000000000002' and step_slug = 'special_vip_step'),
  0, 'no task was created'
);
select is(pgflow_tests.run_status('c1000000-0000-4000-8000-000000000002'), 'completed', 'the run completes');
select is(
  (select output from pgflow.runs where run_id = 'c1000000-0000-4000-8000-000000000002'),
  '{}'::jsonb, 'a skipped leaf is absent from the run output'
);

select * from finish();
rollback;
