begin;
select plan(5);

select pgflow.create_flow('fenced');
select pgflow.add_step('fenced', 'only');
select pgflow.start_flow('fenced', '{}', 'f0000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('fenced');

select throws_ok(
  $$ select pgflow.complete_task('f0000000-0000-4000-8000-000000000001', 'only', '"forged"', 0, 7) $$,
  'PF017', null, 'attempt 7 when one claim was made is refused'
);
select is(
  (select status || ' ' || attempts_count from pgflow.step_tasks
   where run_id = 'f0000000-0000-4000-8000-000000000001'),
  'started 1', 'the task is untouched'
);
select is(
  (select status || ' ' || coalesce(output::text, 'no output') from pgflow.runs
   where run_id = 'f0000000-0000-4000-8000-000000000001'),
  'started no output', 'and so is the run'
);
select is(
  (select status from pgflow.complete_task('f0000000-0000-4000-8000-000000000001', 'only', '"real"', 0, 1)),
  'completed', 'the claimed attempt still completes it'
);
select is(
  (select output from pgflow.runs where run_id = 'f0000000-0000-4000-8000-000000000001'),
  '{"only": "real"}'::jsonb, 'with its own output'
);

select * from finish();
rollback;
