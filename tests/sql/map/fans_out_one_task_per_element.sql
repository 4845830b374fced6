begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('fan_flow');
select pgflow.add_step('fan_flow', 'each', step_type => 'map');
select pgflow.start_flow('fan_flow', '["a", "b", "c"]', '3a000000-0000-4000-8000-000000000001');

select results_eq(
  $$ select task_index, status::text from pgflow.step_tasks
     where run_id = '3a000000-0000-4000-8000-000000000001' order by task_index $$,
  $$ values (0, 'queued'), (1, 'queued'), (2, 'queued') $$,
  'one queued task per element'
);
select is(
  (select initial_tasks::int from pgflow.step_states where run_id = '3a000000-0000-4000-8000-000000000001'),
  3, 'initial_tasks is the array length'
);
select is(
  (select remaining_tasks::int from pgflow.step_states where run_id = '3a000000-0000-4000-8000-000000000001'),
  3, 'remaining_tasks starts at the array length'
);
select results_eq(
  $$ select task_index, input from pgflow_tests.claim('fan_flow') order by task_index $$,
  $$ values (0, '"a"'::jsonb), (1, '"b"'::jsonb), (2, '"c"'::jsonb) $$,
  'each task gets its element'
);

select * from finish();
rollback;
