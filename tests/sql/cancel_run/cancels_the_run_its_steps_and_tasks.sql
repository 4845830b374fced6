begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'ca000000-0000-4000-8000-000000000001');
select pgflow_tests.complete_step('ca000000-0000-4000-8000-000000000001', 'website', '1');
select pgflow_tests.set_now('2030-01-01 00:00:30+00');

select is(
  (select r.status::text from pgflow.cancel_run('ca000000-0000-4000-8000-000000000001') as r),
  'cancelled', 'cancel_run returns the cancelled run'
);
select is(
  (select cancelled_at from pgflow.runs where run_id = 'ca000000-0000-4000-8000-000000000001'),
  '2030-01-01 00:00:30+00'::timestamptz, 'cancelled_at is set'
);
select results_eq(
  $$ select step_slug, status::text from pgflow.step_states
     where run_id = 'ca000000-0000-4000-8000-000000000001' order by step_slug collate "C" $$,
  $$ values ('saveToDb', 'cancelled'), ('sentiment', 'cancelled'), ('summary', 'cancelled'), ('website', 'completed') $$,
  'unfinished steps are cancelled, finished ones keep their status'
);
select results_eq(
  $$ select step_slug, status::text from pgflow.step_tasks
     where run_id = 'ca000000-0000-4000-8000-000000000001' order by step_slug collate "C" $$,
  $$ values ('sentiment', 'cancelled'), ('summary', 'cancelled'), ('website', 'completed') $$,
  'unfinished tasks are cancelled'
);
select is(
  (select output from pgflow.step_states
   where run_id = 'ca000000-0000-4000-8000-000000000001' and step_slug = 'website'),
  '1'::jsonb, 'completed work is kept'
);

select * from finish();
rollback;
