begin;
select plan(4);

-- attempt 1 timed out from the worker's point of view and was reported failed by
-- a supervisor; the original handler then finishes: its result is still valid.
select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('late_retry', max_attempts => 3, base_delay => 60);
select pgflow.add_step('late_retry', 'only');
select pgflow.start_flow('late_retry', '{}', 'c0000000-0000-4000-8000-000000000007');
select pgflow_tests.claim('late_retry');
select pgflow.fail_task('c0000000-0000-4000-8000-000000000007', 'only', 'supervisor gave up', 0, 1);

select is(
  (select t.status::text from pgflow.complete_task('c0000000-0000-4000-8000-000000000007', 'only', '"late"', 0, 1) as t),
  'completed', 'a result for a task queued for retry is accepted'
);
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = 'c0000000-0000-4000-8000-000000000007'),
  1, 'it counts as the attempt that produced it'
);
select is(pgflow_tests.run_status('c0000000-0000-4000-8000-000000000007'), 'completed', 'the run completes');
select pgflow_tests.set_now('2030-01-01 00:05:00+00');
select is((select count(*)::int from pgflow_tests.claim('late_retry')), 0, 'the retry is never handed out');

select * from finish();
rollback;
