begin;
select plan(5);

-- base_delay 2: attempt n is retried after 2 * 2^(n-1) seconds: 2, 4, 8, 16.
select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('backoff_flow', max_attempts => 5, base_delay => 2);
select pgflow.add_step('backoff_flow', 'flaky');
select pgflow.start_flow('backoff_flow', '{}', 'fa000000-0000-4000-8000-000000000002');

select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000002', 'flaky'), '2 seconds'::interval, 'attempt 1 waits base_delay');
select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000002', 'flaky'), '4 seconds'::interval, 'attempt 2 waits base_delay * 2');
select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000002', 'flaky'), '8 seconds'::interval, 'attempt 3 waits base_delay * 4');
select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000002', 'flaky'), '16 seconds'::interval, 'attempt 4 waits base_delay * 8');
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-000000000002'),
  4, 'four attempts were counted'
);

select * from finish();
rollback;
