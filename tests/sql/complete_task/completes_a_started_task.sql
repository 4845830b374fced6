begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('single_flow');
select pgflow.add_step('single_flow', 'only');
select pgflow.start_flow('single_flow', '{}', 'c0000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('single_flow');
select pgflow_tests.set_now('2030-01-01 00:00:05+00');

select is(
  (select t.status::text from pgflow.complete_task(
     run_id => 'c0000000-0000-4000-8000-000000000001', step_slug => 'only',
     output => '{"answer": 42}', task_index => 0, attempt => 1) as t),
  'completed',
  'complete_task returns the completed task row'
);
select is(
  (select output from pgflow.step_tasks where run_id = 'c0000000-0000-4000-8000-000000000001'),
  '{"answer": 42}'::jsonb, 'the task output is stored'
);
select is(
  (select output from pgflow.step_states where run_id = 'c0000000-0000-4000-8000-000000000001'),
  '{"answer": 42}'::jsonb, 'a single step output is its task output'
);
select is(
  pgflow_tests.run_status('c0000000-0000-4000-8000-000000000001'), 'completed',
  'the run of a one-step flow completes'
);
select is(
  (select output from pgflow.runs where run_id = 'c0000000-0000-4000-8000-000000000001'),
  '{"only": {"answer": 42}}'::jsonb, 'the run output holds the leaf output'
);

select * from finish();
rollback;
