begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond', max_attempts => 1);
select pgflow.start_flow('diamond', '{}', 'c0000000-0000-4000-8000-000000000004');
select pgflow_tests.complete_step('c0000000-0000-4000-8000-000000000004', 'website', '"page"');
select pgflow_tests.claim('diamond');                 -- sentiment and summary, attempt 1
select pgflow.fail_task('c0000000-0000-4000-8000-000000000004', 'summary', 'boom', 0, 1);

select is(pgflow_tests.run_status('c0000000-0000-4000-8000-000000000004'), 'failed', 'the run failed');
select is(
  (select t.status::text from pgflow.complete_task('c0000000-0000-4000-8000-000000000004', 'sentiment', '"late"', 0, 1) as t),
  'cancelled', 'completing a task of a failed run returns the current (cancelled) row'
);
select is(
  (select output from pgflow.step_tasks
   where run_id = 'c0000000-0000-4000-8000-000000000004' and step_slug = 'sentiment'),
  null, 'the late output is not stored'
);
select results_eq(
  $$ select step_slug, status::text from pgflow.step_states
     where run_id = 'c0000000-0000-4000-8000-000000000004' order by step_slug collate "C" $$,
  $$ values ('saveToDb', 'cancelled'), ('sentiment', 'cancelled'), ('summary', 'failed'), ('website', 'completed') $$,
  'no step moved forward'
);

select * from finish();
rollback;
