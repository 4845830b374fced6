begin;
select plan(7);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'c0000000-0000-4000-8000-000000000002');
select pgflow_tests.claim('diamond');
select pgflow.complete_task('c0000000-0000-4000-8000-000000000002', 'website', '"first"', 0, 1);
select pgflow_tests.set_now('2030-01-01 00:00:05+00');

select is(
  (select t.status || ' ' || coalesce(t.output::text, 'no output')
   from pgflow.complete_task('c0000000-0000-4000-8000-000000000002', 'website', '"second"', 0, 1) as t),
  'completed no output',
  'a second completion is a no-op returning only the status'
);
select is(
  (select output from pgflow.step_tasks
   where run_id = 'c0000000-0000-4000-8000-000000000002' and step_slug = 'website'),
  '"first"'::jsonb, 'the first output is kept'
);
select is(
  (select completed_at from pgflow.step_tasks
   where run_id = 'c0000000-0000-4000-8000-000000000002' and step_slug = 'website'),
  '2030-01-01 00:00:00+00'::timestamptz, 'completed_at is not moved'
);
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'c0000000-0000-4000-8000-000000000002'),
  3, 'remaining_steps was decremented once'
);
select is(
  (select remaining_tasks::int from pgflow.step_states
   where run_id = 'c0000000-0000-4000-8000-000000000002' and step_slug = 'website'),
  0, 'remaining_tasks did not go below zero'
);
select is(
  (select count(*)::int from pgflow.step_tasks
   where run_id = 'c0000000-0000-4000-8000-000000000002' and step_slug in ('sentiment', 'summary')),
  2, 'dependents were started once'
);
select is(
  (select remaining_deps::int from pgflow.step_states
   where run_id = 'c0000000-0000-4000-8000-000000000002' and step_slug = 'saveToDb'),
  2, 'the join deps were not touched'
);

select * from finish();
rollback;
