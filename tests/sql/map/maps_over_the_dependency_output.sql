begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('dep_map');
select pgflow.add_step('dep_map', 'split');
select pgflow.add_step('dep_map', 'each', deps => array['split'], step_type => 'map');
select pgflow.start_flow('dep_map', '{"text": "a b"}', '3a000000-0000-4000-8000-000000000006');
select pgflow_tests.complete_step('3a000000-0000-4000-8000-000000000006', 'split', '["a", "b"]');

select results_eq(
  $$ select task_index, input from pgflow_tests.claim('dep_map') order by task_index $$,
  $$ values (0, '"a"'::jsonb), (1, '"b"'::jsonb) $$,
  'a dependent map step fans out over its dependency output'
);
select is(
  (select initial_tasks::int from pgflow.step_states
   where run_id = '3a000000-0000-4000-8000-000000000006' and step_slug = 'each'),
  2, 'initial_tasks is set when the step starts'
);

select * from finish();
rollback;
