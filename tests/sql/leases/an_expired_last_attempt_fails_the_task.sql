begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('last_lease', max_attempts => 2, timeout => 10);
select pgflow.add_step('last_lease', 'hang');
select pgflow.start_flow('last_lease', '{}', '1e000000-0000-4000-8000-000000000002');
select pgflow_tests.claim('last_lease');                  -- attempt 1
select pgflow_tests.set_now('2030-01-01 00:00:10+00');
select pgflow_tests.claim('last_lease');                  -- attempt 2
select pgflow_tests.set_now('2030-01-01 00:00:20+00');

select is((select count(*)::int from pgflow_tests.claim('last_lease')), 0, 'an exhausted expired lease is not handed out');
select is(pgflow_tests.task_status('1e000000-0000-4000-8000-000000000002', 'hang'), 'failed', 'the claim call failed it instead');
select ok(
  (select error_message from pgflow.step_tasks where run_id = '1e000000-0000-4000-8000-000000000002') ilike '%lease%',
  'the error says the lease expired'
);
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = '1e000000-0000-4000-8000-000000000002'),
  2, 'no phantom third attempt'
);
select is(pgflow_tests.step_status('1e000000-0000-4000-8000-000000000002', 'hang'), 'failed', 'the step failed');
select is(pgflow_tests.run_status('1e000000-0000-4000-8000-000000000002'), 'failed', 'the run failed');

select * from finish();
rollback;
