begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('lease_flow', timeout => 45);
select pgflow.add_step('lease_flow', 'only', timeout => 20);
select pgflow.start_flow('lease_flow', '{}', 'cccccccc-0000-4000-8000-000000000002');
select pgflow_tests.claim('lease_flow');

select is(pgflow_tests.task_status('cccccccc-0000-4000-8000-000000000002', 'only'), 'started', 'the task is started');
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = 'cccccccc-0000-4000-8000-000000000002'),
  1, 'attempts_count counts the claim'
);
select is(
  (select claimed_by from pgflow.step_tasks where run_id = 'cccccccc-0000-4000-8000-000000000002'),
  pgflow_tests.worker_id(), 'claimed_by is the worker'
);
select is(
  (select visible_at from pgflow.step_tasks where run_id = 'cccccccc-0000-4000-8000-000000000002'),
  '2030-01-01 00:00:20+00'::timestamptz, 'visible_at is now + the step timeout (the step overrides the flow)'
);
select is(
  (select status::text from pgflow.step_states where run_id = 'cccccccc-0000-4000-8000-000000000002'),
  'started', 'the step is started'
);

select * from finish();
rollback;
