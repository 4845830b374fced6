begin;
select plan(3);

select pgflow.create_flow(flow_slug => 'opts_flow', max_attempts => 7, base_delay => 0, timeout => 5);

select is(
  (select max_attempts::int from pgflow.flows where flow_slug = 'opts_flow'),
  7,
  'max_attempts is stored'
);
select is(
  (select base_delay::int from pgflow.flows where flow_slug = 'opts_flow'),
  0,
  'a base_delay of zero is allowed'
);
select is(
  (select timeout::int from pgflow.flows where flow_slug = 'opts_flow'),
  5,
  'timeout is stored'
);

select * from finish();
rollback;
