begin;
select plan(7);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('stale_ok', timeout => 10, max_attempts => 3);
select pgflow.add_step('stale_ok', 'only');
select pgflow.add_step('stale_ok', 'after', deps => array['only']);
select pgflow.start_flow('stale_ok', '{}', 'c0000000-0000-4000-8000-000000000003');
select pgflow_tests.claim('stale_ok');                 -- attempt 1, lease until 00:00:10
select pgflow_tests.set_now('2030-01-01 00:00:11+00');
select is(
  (select attempt from pgflow_tests.claim('stale_ok')), 2,
  'the expired lease is claimed again as attempt 2'
);

-- the first worker finishes late: its result is valid while the task is unfinished.
select is(
  (select t.status::text from pgflow.complete_task('c0000000-0000-4000-8000-000000000003', 'only', '"late"', 0, 1) as t),
  'completed', 'a stale completion of an unfinished task is accepted'
);
-- the current holder reports afterwards: a no-op.
select is(
  (select t.status || ' ' || coalesce(t.output::text, 'no output')
   from pgflow.complete_task('c0000000-0000-4000-8000-000000000003', 'only', '"current"', 0, 2) as t),
  'completed no output', 'the lease holder''s later completion is a no-op that reveals no output'
);
select is(
  (select output from pgflow.step_tasks
   where run_id = 'c0000000-0000-4000-8000-000000000003' and step_slug = 'only'),
  '"late"'::jsonb, 'and the first result is kept'
);
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'c0000000-0000-4000-8000-000000000003'),
  1, 'the step was counted once'
);
select is(
  (select count(*)::int from pgflow.step_tasks
   where run_id = 'c0000000-0000-4000-8000-000000000003' and step_slug = 'after'),
  1, 'the dependent was started once'
);
select is(
  (select input from pgflow_tests.claim('stale_ok')),
  '{"run": {}, "only": "late"}'::jsonb, 'the dependent sees the accepted result'
);

select * from finish();
rollback;
