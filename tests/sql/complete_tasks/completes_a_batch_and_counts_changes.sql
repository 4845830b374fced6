begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('batch_flow');
select pgflow.add_step('batch_flow', 'each', step_type => 'map');
select pgflow.start_flow('batch_flow', '[10, 20, 30]', 'cb000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('batch_flow');

select is(
  pgflow.complete_tasks(
    run_ids => array['cb000000-0000-4000-8000-000000000001', 'cb000000-0000-4000-8000-000000000001']::uuid[],
    step_slugs => array['each', 'each'],
    outputs => array['"a"', '"b"']::jsonb[],
    task_indexes => array[2, 0],
    attempts => array[1, 1]
  ),
  2,
  'the batch returns the number of tasks it completed'
);
select results_eq(
  $$ select task_index, status::text, output from pgflow.step_tasks
     where run_id = 'cb000000-0000-4000-8000-000000000001' order by task_index $$,
  $$ values (0, 'completed', '"b"'::jsonb), (1, 'started', null), (2, 'completed', '"a"'::jsonb) $$,
  'each output lands on its own task'
);
select is(
  pgflow.complete_tasks(
    array['cb000000-0000-4000-8000-000000000001', 'cb000000-0000-4000-8000-000000000001']::uuid[],
    array['each', 'each'],
    array['"again"', '"c"']::jsonb[],
    array[0, 1],
    array[1, 1]
  ),
  1,
  'an already completed task is a no-op and not counted'
);
select is(
  (select output from pgflow.step_states where run_id = 'cb000000-0000-4000-8000-000000000001'),
  '["b", "c", "a"]'::jsonb,
  'the map step completed once with outputs in element order'
);

select * from finish();
rollback;
