begin;
select plan(5);

select pgflow.create_flow('defaults_flow');

select is(
  (select count(*)::int from pgflow.flows where flow_slug = 'defaults_flow'),
  1,
  'the flow row exists'
);
select is(
  (select max_attempts::int from pgflow.flows where flow_slug = 'defaults_flow'),
  3,
  'max_attempts defaults to 3'
);
select is(
  (select base_delay::int from pgflow.flows where flow_slug = 'defaults_flow'),
  1,
  'base_delay defaults to 1 second'
);
select is(
  (select timeout::int from pgflow.flows where flow_slug = 'defaults_flow'),
  60,
  'timeout defaults to 60 seconds'
);
select is(
  (select f.flow_slug from pgflow.create_flow('other_flow') as f),
  'other_flow',
  'create_flow returns the flows row'
);

select * from finish();
rollback;
