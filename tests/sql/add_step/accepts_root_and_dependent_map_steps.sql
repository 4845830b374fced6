begin;
select plan(3);

select pgflow.create_flow('maps_flow');

select is(
  (select s.step_type from pgflow.add_step('maps_flow', 'root_map', step_type => 'map') as s),
  'map',
  'a root map step is accepted'
);
select pgflow.add_step('maps_flow', 'list');
select is(
  (select s.step_type from pgflow.add_step('maps_flow', 'dep_map', deps => array['list'], step_type => 'map') as s),
  'map',
  'a map step over one dependency is accepted'
);
select is(
  (select deps_count::int from pgflow.steps where flow_slug = 'maps_flow' and step_slug = 'dep_map'),
  1,
  'its dependency is recorded'
);

select * from finish();
rollback;
