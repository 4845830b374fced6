begin;
select plan(4);

select pgflow.create_flow('override_flow', max_attempts => 4, base_delay => 2, timeout => 30);
select pgflow.add_step(
  'override_flow', 'tuned',
  max_attempts => 9, base_delay => 0, timeout => 5, delay_seconds => 10
);

select is(
  (select max_attempts::int from pgflow.steps where flow_slug = 'override_flow' and step_slug = 'tuned'),
  9,
  'the step max_attempts wins over the flow'
);
select is(
  (select base_delay::int from pgflow.steps where flow_slug = 'override_flow' and step_slug = 'tuned'),
  0,
  'the step base_delay wins, zero included'
);
select is(
  (select timeout::int from pgflow.steps where flow_slug = 'override_flow' and step_slug = 'tuned'),
  5,
  'the step timeout wins over the flow'
);
select is(
  (select delay_seconds::int from pgflow.steps where flow_slug = 'override_flow' and step_slug = 'tuned'),
  10,
  'delay_seconds is stored'
);

select * from finish();
rollback;
