begin;
select plan(7);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('optional_flow', max_attempts => 1);
select pgflow.add_step('optional_flow', 'fetch');
select pgflow.add_step('optional_flow', 'nice_to_have', deps => array['fetch'], when_exhausted => 'skip');
select pgflow.add_step('optional_flow', 'save', deps => array['fetch', 'nice_to_have']);
select pgflow.start_flow('optional_flow', '{}', 'e0000000-0000-4000-8000-000000000001');
select pgflow_tests.complete_step('e0000000-0000-4000-8000-000000000001', 'fetch', '"data"');
select pgflow_tests.fail_step('e0000000-0000-4000-8000-000000000001', 'nice_to_have', 'api down');

select is(pgflow_tests.task_status('e0000000-0000-4000-8000-000000000001', 'nice_to_have'), 'failed', 'the task failed');
select is(
  (select status::text || '/' || skip_reason from pgflow.step_states
   where run_id = 'e0000000-0000-4000-8000-000000000001' and step_slug = 'nice_to_have'),
  'skipped/retries_exhausted', 'the step is skipped because retries are exhausted'
);
select ok(
  pgflow_tests.mentions(
    (select error_message from pgflow.step_states
     where run_id = 'e0000000-0000-4000-8000-000000000001' and step_slug = 'nice_to_have'),
    array['api down']
  ),
  'the error is kept on the step'
);
select is(pgflow_tests.run_status('e0000000-0000-4000-8000-000000000001'), 'started', 'the run goes on');
select is(
  (select input from pgflow_tests.claim('optional_flow')),
  '{"run": {}, "fetch": "data"}'::jsonb, 'the dependent runs without the skipped key'
);
select pgflow.complete_task('e0000000-0000-4000-8000-000000000001', 'save', '"saved"');
select is(pgflow_tests.run_status('e0000000-0000-4000-8000-000000000001'), 'completed', 'the run completes');
select is(
  (select output from pgflow.runs where run_id = 'e0000000-0000-4000-8000-000000000001'),
  '{"save": "saved"}'::jsonb, 'with the leaf output'
);

select * from finish();
rollback;
