begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cascade_exhaust', max_attempts => 1);
select pgflow.add_step('cascade_exhaust', 'fetch');
select pgflow.add_step('cascade_exhaust', 'optional', deps => array['fetch'], when_exhausted => 'skip-cascade');
select pgflow.add_step('cascade_exhaust', 'uses_optional', deps => array['optional']);
select pgflow.add_step('cascade_exhaust', 'side', deps => array['fetch']);
select pgflow.start_flow('cascade_exhaust', '{}', 'e0000000-0000-4000-8000-000000000002');
select pgflow_tests.complete_step('e0000000-0000-4000-8000-000000000002', 'fetch', '1');
select pgflow_tests.fail_step('e0000000-0000-4000-8000-000000000002', 'optional', 'nope');

select is(
  (select status::text || '/' || skip_reason from pgflow.step_states
   where run_id = 'e0000000-0000-4000-8000-000000000002' and step_slug = 'optional'),
  'skipped/retries_exhausted', 'the exhausted step is skipped'
);
select is(
  (select status::text || '/' || skip_reason from pgflow.step_states
   where run_id = 'e0000000-0000-4000-8000-000000000002' and step_slug = 'uses_optional'),
  'skipped/dependency_skipped', 'its dependents are skipped too'
);
select is(pgflow_tests.step_status('e0000000-0000-4000-8000-000000000002', 'side'), 'started', 'the independent branch is untouched');
select pgflow_tests.complete_step('e0000000-0000-4000-8000-000000000002', 'side', '"s"');
select is(pgflow_tests.run_status('e0000000-0000-4000-8000-000000000002'), 'completed', 'the run completes');
select is(
  (select output from pgflow.runs where run_id = 'e0000000-0000-4000-8000-000000000002'),
  '{"side": "s"}'::jsonb, 'without the skipped leaf'
);

select * from finish();
rollback;
