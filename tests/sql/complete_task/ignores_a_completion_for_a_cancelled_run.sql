begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'c0000000-0000-4000-8000-000000000005');
select pgflow_tests.claim('diamond');
select pgflow.cancel_run('c0000000-0000-4000-8000-000000000005');

select is(
  (select t.status::text from pgflow.complete_task('c0000000-0000-4000-8000-000000000005', 'website', '"late"', 0, 1) as t),
  'cancelled', 'completing a task of a cancelled run returns the current row'
);
select is(
  (select count(*)::int from pgflow.step_tasks where run_id = 'c0000000-0000-4000-8000-000000000005'),
  1, 'no dependent task was created'
);
select is(pgflow_tests.run_status('c0000000-0000-4000-8000-000000000005'), 'cancelled', 'the run stays cancelled');
select is(
  (select output from pgflow.runs where run_id = 'c0000000-0000-4000-8000-000000000005'),
  null, 'the run has no output'
);

select * from finish();
rollback;
