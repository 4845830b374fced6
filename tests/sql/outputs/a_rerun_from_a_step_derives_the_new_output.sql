begin;
select plan(4);

select pgflow.create_flow('out_rerun');
select pgflow.add_step('out_rerun', 'first');
select pgflow.add_step('out_rerun', 'each', deps => array['first'], step_type => 'map');
select pgflow.start_flow('out_rerun', '{}', '0a100000-0000-4000-8000-000000000007');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000007', 'first', '[1, 2]');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000007', 'each', '"old"');
select is(
  (select output from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000007'),
  '{"each": ["old", "old"]}'::jsonb, 'the first run''s output'
);

select pgflow.retry_run('0a100000-0000-4000-8000-000000000007', array['first']);
select is(
  (select array_agg(step_slug || ' ' || coalesce(output::text, 'no output') order by step_slug)
   from pgflow.step_states where run_id = '0a100000-0000-4000-8000-000000000007'),
  array['each no output', 'first no output'],
  're-run steps have no output until they complete again'
);
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000007', 'first', '[1, 2, 3]');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000007', 'each', '"new"');
select is(
  (select output from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000007' and step_slug = 'each'),
  '["new", "new", "new"]'::jsonb, 'the re-run map step''s output is its new tasks'' outputs'
);
select is(
  (select status || ' ' || output::text from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000007'),
  'completed {"each": ["new", "new", "new"]}', 'and so is the run''s'
);

select * from finish();
rollback;
