begin;
select plan(9);

select pgflow.create_flow('inherit_flow', max_attempts => 4, base_delay => 2, timeout => 30);

select is(
  (select s.step_slug from pgflow.add_step('inherit_flow', 'first') as s),
  'first',
  'add_step returns the steps row'
);
select is(
  (select step_index::int from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  0,
  'the first step has step_index 0'
);
select is(
  (select step_type from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  'single',
  'step_type defaults to single'
);
select is(
  (select deps_count::int from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  0,
  'a root step has no deps'
);
select is(
  (select max_attempts::int from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  4,
  'max_attempts is inherited from the flow'
);
select is(
  (select base_delay::int from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  2,
  'base_delay is inherited from the flow'
);
select is(
  (select timeout::int from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  30,
  'timeout is inherited from the flow'
);
select is(
  (select delay_seconds::int from pgflow.steps where flow_slug = 'inherit_flow' and step_slug = 'first'),
  0,
  'delay_seconds defaults to 0'
);
select is(
  (select count(*)::int from pgflow.deps where flow_slug = 'inherit_flow'),
  0,
  'no deps rows'
);

select * from finish();
rollback;
