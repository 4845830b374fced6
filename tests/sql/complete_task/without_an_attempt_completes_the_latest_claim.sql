begin;
select plan(2);

select pgflow.create_flow('no_attempt');
select pgflow.add_step('no_attempt', 'only');
select pgflow.start_flow('no_attempt', '{}', 'f0000000-0000-4000-8000-000000000003');
select pgflow_tests.claim('no_attempt');

select is(
  (select status || ' ' || output::text
   from pgflow.complete_task('f0000000-0000-4000-8000-000000000003', 'only', '"done"')),
  'completed "done"', 'a claimed task completes without naming its attempt, returning its row'
);
select is(
  (select status from pgflow.runs where run_id = 'f0000000-0000-4000-8000-000000000003'),
  'completed', 'and its run completes'
);

select * from finish();
rollback;
