begin;
select plan(4);

select pgflow.create_flow('out_single');
select pgflow.add_step('out_single', 'only');
select pgflow.start_flow('out_single', '{"n": 1}', '0a100000-0000-4000-8000-000000000001');

select is(
  (select output from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000001' and step_slug = 'only'),
  null, 'a started step has no output'
);
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000001', 'only', '{"ok": [1, "two"]}');
select is(
  (select output from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000001' and step_slug = 'only'),
  '{"ok": [1, "two"]}'::jsonb, 'the completed step''s output is its task''s'
);
select is(
  (select status || ' ' || output::text from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000001'),
  'completed {"only": {"ok": [1, "two"]}}', 'the run''s output is the object of its leaf''s output'
);
select is(
  (select output from pgflow.step_tasks
   where run_id = '0a100000-0000-4000-8000-000000000001' and step_slug = 'only' and task_index = 0),
  '{"ok": [1, "two"]}'::jsonb, 'where the task''s output is stored'
);

select * from finish();
rollback;
