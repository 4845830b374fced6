begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('unless_flow');
select pgflow.add_step('unless_flow', 'check_vip');
select pgflow.add_step('unless_flow', 'normal_step', deps => array['check_vip'], run_unless => '{"run": {"userIsVIP": true}}');
select pgflow.start_flow('unless_flow', '{"userIsVIP": true}', 'c1000000-0000-4000-8000-000000000003');
select pgflow.start_flow('unless_flow', '{"userIsVIP": false}', 'c1000000-0000-4000-8000-000000000004');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000003', 'check_vip', '1');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000004', 'check_vip', '1');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000003', 'normal_step'), 'skipped', 'a matching run_unless skips the step');
select is(
  (select skip_reason from pgflow.step_states
   where run_id = 'c1000000-0000-4000-8000-000000000003' and step_slug = 'normal_step'),
  'condition_unmet', 'skip_reason is condition_unmet'
);
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000004', 'normal_step'), 'started', 'a non-matching run_unless runs it');

select * from finish();
rollback;
