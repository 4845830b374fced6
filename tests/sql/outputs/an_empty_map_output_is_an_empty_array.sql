begin;
select plan(3);

select pgflow.create_flow('out_empty');
select pgflow.add_step('out_empty', 'each', step_type => 'map');
select pgflow.start_flow('out_empty', '[]', '0a100000-0000-4000-8000-000000000003');

select is(
  (select status || ' ' || output::text from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000003' and step_slug = 'each'),
  'completed []', 'an empty map completes with []'
);
select is(
  (select count(*)::int from pgflow.step_tasks where run_id = '0a100000-0000-4000-8000-000000000003'),
  0, 'without any task'
);
select is(
  (select status || ' ' || output::text from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000003'),
  'completed {"each": []}', 'and the run''s output holds []'
);

select * from finish();
rollback;
