begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('elements');
select pgflow.add_step('elements', 'each', step_type => 'map');
select pgflow.start_flow('elements', '[{"id": 1}, "two", 3]');

select results_eq(
  $$ select task_index, input from pgflow_tests.claim('elements') order by task_index $$,
  $$ values (0, '{"id": 1}'::jsonb), (1, '"two"'::jsonb), (2, '3'::jsonb) $$,
  'a map task input is its array element'
);
select results_eq(
  $$ select distinct attempt from pgflow.claim_tasks(pgflow_tests.worker_id(), 10, array['elements']) $$,
  '{}'::int[],
  'all of them are leased'
);

select * from finish();
rollback;
