begin;
select plan(8);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('retry_flow', max_attempts => 5, base_delay => 3);
select pgflow.add_step('retry_flow', 'flaky');
select pgflow.start_flow('retry_flow', '{}', 'fa000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('retry_flow');

select is(
  (select t.status::text from pgflow.fail_task('fa000000-0000-4000-8000-000000000001', 'flaky', 'timeout talking to api', 0, 1) as t),
  'queued', 'a failed attempt with attempts left goes back to queued'
);
select is(
  (select visible_at from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-000000000001'),
  '2030-01-01 00:00:03+00'::timestamptz, 'it is retried after base_delay * 2^0 seconds'
);
select is(
  (select error_message from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-000000000001'),
  'timeout talking to api', 'the error message is kept'
);
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-000000000001'),
  1, 'the failed attempt is counted once'
);
select is(pgflow_tests.run_status('fa000000-0000-4000-8000-000000000001'), 'started', 'the run goes on');

select pgflow_tests.set_now('2030-01-01 00:00:02.999+00');
select is((select count(*)::int from pgflow_tests.claim('retry_flow')), 0, 'not claimable before the delay');

select pgflow_tests.set_now('2030-01-01 00:00:03+00');
create temp table retried as select * from pgflow_tests.claim('retry_flow');
select is((select attempt from retried), 2, 'claimable at the end of the delay, as attempt 2');
select is((select input from retried), '{"run": {}}'::jsonb, 'with the same input');

select * from finish();
rollback;
