begin;
select plan(3);

select pgflow.create_flow('out_map');
select pgflow.add_step('out_map', 'each', step_type => 'map');
select pgflow.start_flow('out_map', '["a", "b", "c"]', '0a100000-0000-4000-8000-000000000002');
select pgflow_tests.claim('out_map');
-- completed last element first
select pgflow.complete_task('0a100000-0000-4000-8000-000000000002', 'each', '"C"', 2);
select pgflow.complete_task('0a100000-0000-4000-8000-000000000002', 'each', '"B"', 1);
select is(
  (select output from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000002' and step_slug = 'each'),
  null, 'a map step with an unfinished element has no output'
);
select pgflow.complete_task('0a100000-0000-4000-8000-000000000002', 'each', '{"A": 1}', 0);

select is(
  (select output from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000002' and step_slug = 'each'),
  '[{"A": 1}, "B", "C"]'::jsonb, 'the map''s output is the array of its tasks'' outputs in element order'
);
select is(
  (select output from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000002'),
  '{"each": [{"A": 1}, "B", "C"]}'::jsonb, 'and the run''s output holds that array'
);

select * from finish();
rollback;
