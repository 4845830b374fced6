begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('many_flow');
select pgflow.add_step('many_flow', 'each', step_type => 'map');
select pgflow.start_flow('many_flow', '[1, 2, 3, 4, 5]');

select is((select count(*)::int from pgflow_tests.claim('many_flow', 2)), 2, 'at most max_tasks are returned');
select is((select count(*)::int from pgflow_tests.claim('many_flow', 2)), 2, 'the next claim gets the next ones');
select is((select count(*)::int from pgflow_tests.claim('many_flow', 2)), 1, 'then what is left');
select is(
  (select count(distinct task_index)::int from pgflow.step_tasks where flow_slug = 'many_flow' and status = 'started'),
  5, 'each task was claimed once'
);

select * from finish();
rollback;
