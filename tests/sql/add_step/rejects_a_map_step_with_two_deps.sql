begin;
select plan(2);

select pgflow.create_flow('map_deps_flow');
select pgflow.add_step('map_deps_flow', 'left');
select pgflow.add_step('map_deps_flow', 'right');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('map_deps_flow', 'mapper', deps => array['left', 'right'], step_type => 'map') $$,
  'PF015', array['map_deps_flow', 'mapper'], 'a map step over two deps raises PF015'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'map_deps_flow'),
  2,
  'the map step was not created'
);

select * from finish();
rollback;
