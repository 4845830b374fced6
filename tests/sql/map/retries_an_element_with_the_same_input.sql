begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('map_retry', max_attempts => 3, base_delay => 1);
select pgflow.add_step('map_retry', 'each', step_type => 'map');
select pgflow.start_flow('map_retry', '[{"id": "a"}, {"id": "b"}]', '3a000000-0000-4000-8000-000000000009');
select pgflow_tests.claim('map_retry');
select pgflow.fail_task('3a000000-0000-4000-8000-000000000009', 'each', 'flaky', 1, 1);
select pgflow_tests.set_now('2030-01-01 00:00:01+00');

create temp table retried as select * from pgflow_tests.claim('map_retry');
select results_eq(
  $$ select task_index, attempt, input from retried $$,
  $$ values (1, 2, '{"id": "b"}'::jsonb) $$,
  'only the failed element is retried, with its own element'
);
select pgflow.complete_task('3a000000-0000-4000-8000-000000000009', 'each', '"A"', 0, 1);
select pgflow.complete_task('3a000000-0000-4000-8000-000000000009', 'each', '"B"', 1, 2);
select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000009', 'each'), 'completed', 'the step completes');
select is(
  (select output from pgflow.step_states where run_id = '3a000000-0000-4000-8000-000000000009'),
  '["A", "B"]'::jsonb, 'with both results in element order'
);

select * from finish();
rollback;
