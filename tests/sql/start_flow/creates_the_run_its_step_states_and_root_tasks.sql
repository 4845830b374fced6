begin;
select plan(10);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('started');
select pgflow.start_flow('started', '{"url": "https://example.com"}', 'aaaaaaaa-0000-4000-8000-000000000001');

select is(
  (select status from pgflow.runs where run_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  'started', 'the run is started'
);
select is(
  (select input from pgflow.runs where run_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  '{"url": "https://example.com"}'::jsonb, 'the run keeps its input'
);
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  4, 'remaining_steps counts every step'
);
select is(
  (select started_at from pgflow.runs where run_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  '2030-01-01 00:00:00+00'::timestamptz, 'started_at comes from pgflow.now()'
);
select results_eq(
  $$ select step_slug, status::text, remaining_deps::int from pgflow.step_states
     where run_id = 'aaaaaaaa-0000-4000-8000-000000000001' order by step_slug collate "C" $$,
  $$ values ('saveToDb', 'created', 2), ('sentiment', 'created', 1),
            ('summary', 'created', 1), ('website', 'started', 0) $$,
  'one step state per step; the root is started, the others wait on their deps'
);
select results_eq(
  $$ select step_slug, task_index, status::text, attempts_count::int from pgflow.step_tasks
     where run_id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  $$ values ('website', 0, 'queued', 0) $$,
  'only the root step has a task, queued, never attempted'
);
select is(
  (select visible_at from pgflow.step_tasks where run_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  '2030-01-01 00:00:00+00'::timestamptz, 'the root task is visible at once'
);
select is(
  (select max_attempts::int from pgflow.step_tasks where run_id = 'aaaaaaaa-0000-4000-8000-000000000001'),
  3, 'the task carries the effective max_attempts'
);
select is(
  (select initial_tasks::int from pgflow.step_states
   where run_id = 'aaaaaaaa-0000-4000-8000-000000000001' and step_slug = 'website'),
  1, 'a single step has one initial task'
);
select is(
  (select remaining_tasks::int from pgflow.step_states
   where run_id = 'aaaaaaaa-0000-4000-8000-000000000001' and step_slug = 'website'),
  1, 'and one remaining task'
);

select * from finish();
rollback;
