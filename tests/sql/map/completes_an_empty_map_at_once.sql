begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('empty_root_map');
select pgflow.add_step('empty_root_map', 'each', step_type => 'map');
select pgflow.start_flow('empty_root_map', '[]', '3a000000-0000-4000-8000-000000000002');

select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000002', 'each'), 'completed', 'a root map over [] completes at once');
select is(
  (select output from pgflow.step_states where run_id = '3a000000-0000-4000-8000-000000000002'),
  '[]'::jsonb, 'with an empty array output'
);
select is(pgflow_tests.run_status('3a000000-0000-4000-8000-000000000002'), 'completed', 'and the run completes in start_flow');
select is(
  (select output from pgflow.runs where run_id = '3a000000-0000-4000-8000-000000000002'),
  '{"each": []}'::jsonb, 'the run output holds the empty array'
);

-- a dependent map over an empty list, followed by a reducer.
select pgflow.create_flow('empty_dep_map');
select pgflow.add_step('empty_dep_map', 'list');
select pgflow.add_step('empty_dep_map', 'each', deps => array['list'], step_type => 'map');
select pgflow.add_step('empty_dep_map', 'reduce', deps => array['each']);
select pgflow.start_flow('empty_dep_map', '{}', '3a000000-0000-4000-8000-000000000003');
select pgflow_tests.complete_step('3a000000-0000-4000-8000-000000000003', 'list', '[]');

select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000003', 'each'), 'completed', 'a dependent map over [] completes at once');
select is(
  (select input from pgflow_tests.claim('empty_dep_map')),
  '{"run": {}, "each": []}'::jsonb, 'its dependent starts and sees []'
);

select * from finish();
rollback;
