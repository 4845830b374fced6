begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('history', timeout => 5, max_attempts => 4, base_delay => 1);
select pgflow.add_step('history', 'flaky');
select pgflow.start_flow('history', '{}', 'e0000000-0000-4000-8000-000000000005');
select pgflow_tests.claim('history');
select pgflow.fail_task(
  'e0000000-0000-4000-8000-000000000005', 'flaky', 'ValueError: first', 0, 1, 'Traceback: line 1'
);
select pgflow_tests.set_now('2030-01-01 00:00:02+00');
select pgflow_tests.claim('history');                      -- attempt 2, lease until 00:00:07
select pgflow_tests.set_now('2030-01-01 00:00:08+00');
select pgflow_tests.claim('history');                      -- attempt 3 takes over the lapsed lease
select pgflow.complete_task('e0000000-0000-4000-8000-000000000005', 'flaky', '"done"', 0, 3);

select is(
  (select array_agg(attempt || ' ' || outcome || ' ' || coalesce(error_message, '-') order by attempt)
   from pgflow.run_attempts('e0000000-0000-4000-8000-000000000005')),
  array[
    '1 failed ValueError: first',
    '2 lease_expired lease expired: no result or lease extension within the step timeout',
    '3 completed -'
  ],
  'run_attempts lists each attempt with how it ended'
);
select is(
  (select error_detail from pgflow.task_attempts
   where run_id = 'e0000000-0000-4000-8000-000000000005' and attempt = 1),
  'Traceback: line 1', 'with the detail the worker sent'
);
select is(
  (select array_agg(worker_id = pgflow_tests.worker_id() and claimed_at is not null order by attempt)
   from pgflow.run_attempts('e0000000-0000-4000-8000-000000000005')),
  array[true, true, true], 'and who claimed it when'
);

select * from finish();
rollback;
