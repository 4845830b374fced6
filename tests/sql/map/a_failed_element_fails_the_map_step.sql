begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('map_fail', max_attempts => 1);
select pgflow.add_step('map_fail', 'each', step_type => 'map');
select pgflow.add_step('map_fail', 'after', deps => array['each']);
select pgflow.start_flow('map_fail', '[1, 2, 3]', '3a000000-0000-4000-8000-000000000008');
select pgflow_tests.claim('map_fail');
select pgflow.complete_task('3a000000-0000-4000-8000-000000000008', 'each', '"one"', 0, 1);
select pgflow.fail_task('3a000000-0000-4000-8000-000000000008', 'each', 'element 2 broke', 1, 1);

select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000008', 'each'), 'failed', 'one exhausted element fails the map step');
select is(pgflow_tests.run_status('3a000000-0000-4000-8000-000000000008'), 'failed', 'and the run');
select is(pgflow_tests.task_status('3a000000-0000-4000-8000-000000000008', 'each', 2), 'cancelled', 'the unfinished sibling element is cancelled');
select is(
  (select output from pgflow.step_tasks
   where run_id = '3a000000-0000-4000-8000-000000000008' and step_slug = 'each' and task_index = 0),
  '"one"'::jsonb, 'the finished element keeps its result'
);
select is(
  (select count(*)::int from pgflow.step_tasks
   where run_id = '3a000000-0000-4000-8000-000000000008' and step_slug = 'after'),
  0, 'the dependent never started'
);

select * from finish();
rollback;
