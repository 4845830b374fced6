begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('overrun', timeout => 3, max_attempts => 2, base_delay => 5);
select pgflow.add_step('overrun', 'slow', execution_timeout => 10);
select pgflow.start_flow('overrun', '{}', 'e0000000-0000-4000-8000-000000000004');
select pgflow_tests.claim('overrun');
select pgflow_tests.set_now('2030-01-01 00:00:09+00');
select pgflow.extend_leases(
  pgflow_tests.worker_id(), array['e0000000-0000-4000-8000-000000000004'::uuid], array['slow'], array[0], array[1]
);
select pgflow_tests.set_now('2030-01-01 00:00:11+00');

select is(
  (select status from pgflow.extend_leases(
     pgflow_tests.worker_id(), array['e0000000-0000-4000-8000-000000000004'::uuid], array['slow'], array[0], array[1])),
  'timed_out', 'past execution_timeout the extension is refused'
);
select is(
  (select status || ' ' || visible_at::text from pgflow.step_tasks
   where run_id = 'e0000000-0000-4000-8000-000000000004'),
  'queued 2030-01-01 00:00:16+00', 'and the attempt failed: the task waits for its retry'
);
select is(
  (select outcome || ': ' || error_message from pgflow.task_attempts
   where run_id = 'e0000000-0000-4000-8000-000000000004'),
  'timed_out: execution timeout: attempt 1 ran longer than the step''s execution_timeout of 10 s',
  'the attempt is on record as timed out'
);
select throws_ok(
  $$ select pgflow.add_step('overrun', 'other', execution_timeout => 0) $$, 'PF009', null,
  'execution_timeout must be at least 1'
);

select * from finish();
rollback;
