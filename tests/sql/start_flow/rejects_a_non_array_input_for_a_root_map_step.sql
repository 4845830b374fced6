begin;
select plan(5);

select pgflow.create_flow('root_map_flow');
select pgflow.add_step('root_map_flow', 'each', step_type => 'map');

select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('root_map_flow', '{"items": [1, 2]}') $$,
  'PF011', array['root_map_flow', 'each'], 'an object input for a root map step raises PF011'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('root_map_flow', '"text"') $$,
  'PF011', array['root_map_flow', 'each'], 'a string input is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('root_map_flow', 'null') $$,
  'PF011', array['root_map_flow', 'each'], 'a json null input is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('root_map_flow') $$,
  'PF011', array['root_map_flow', 'each'], 'the default empty-object input is rejected'
);
select is(
  (select count(*)::int from pgflow.runs where flow_slug = 'root_map_flow'), 0, 'nothing was created'
);

select * from finish();
rollback;
