begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'dddddddd-0000-4000-8000-000000000001');

select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'website', '1');
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  3, 'remaining_steps drops by one per completed step'
);
select is(
  (select remaining_tasks::int from pgflow.step_states
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'website'),
  0, 'the completed step has no remaining task'
);
select results_eq(
  $$ select step_slug, remaining_deps::int, remaining_tasks::int from pgflow.step_states
     where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug in ('sentiment', 'summary')
     order by step_slug $$,
  $$ values ('sentiment', 0, 1), ('summary', 0, 1) $$,
  'started dependents have no remaining deps and one task'
);
select is(
  (select remaining_deps::int from pgflow.step_states
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'saveToDb'),
  2, 'the join still waits on two deps'
);

select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'sentiment', '2');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'summary', '3');
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  1, 'one step left'
);
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'saveToDb', '4');
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  0, 'no step left once the run completed'
);

select * from finish();
rollback;
