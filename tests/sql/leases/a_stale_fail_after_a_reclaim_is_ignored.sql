begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('stale_lease', max_attempts => 2, timeout => 10);
select pgflow.add_step('stale_lease', 'work');
select pgflow.start_flow('stale_lease', '{}', '1e000000-0000-4000-8000-000000000003');
select pgflow_tests.claim('stale_lease');                 -- attempt 1 (worker A)
select pgflow_tests.set_now('2030-01-01 00:00:10+00');
select pgflow_tests.claim('stale_lease');                 -- attempt 2 (worker B), the last one

-- worker A wakes up and reports a failure: it must not exhaust B's attempt.
select pgflow.fail_task('1e000000-0000-4000-8000-000000000003', 'work', 'A gave up', 0, 1);
select is(pgflow_tests.task_status('1e000000-0000-4000-8000-000000000003', 'work'), 'started', 'B still holds the task');
select is(pgflow_tests.run_status('1e000000-0000-4000-8000-000000000003'), 'started', 'the run did not fail');

select pgflow.complete_task('1e000000-0000-4000-8000-000000000003', 'work', '"B"', 0, 2);
select is(pgflow_tests.run_status('1e000000-0000-4000-8000-000000000003'), 'completed', 'B completes the run');

select * from finish();
rollback;
