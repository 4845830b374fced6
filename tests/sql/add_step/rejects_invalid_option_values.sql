begin;
select plan(8);

select pgflow.create_flow('opt_flow');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', step_type => 'fanout') $$,
  'PF009', array['opt_flow', 's', 'step_type'], 'an unknown step_type is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', when_unmet => 'explode') $$,
  'PF009', array['opt_flow', 's', 'when_unmet'], 'an unknown when_unmet policy is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', when_exhausted => 'retry-forever') $$,
  'PF009', array['opt_flow', 's', 'when_exhausted'], 'an unknown when_exhausted policy is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', max_attempts => 0) $$,
  'PF009', array['opt_flow', 's', 'max_attempts'], 'max_attempts below 1 is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', base_delay => -1) $$,
  'PF009', array['opt_flow', 's', 'base_delay'], 'a negative base_delay is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', timeout => 0) $$,
  'PF009', array['opt_flow', 's', 'timeout'], 'a timeout below 1 is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('opt_flow', 's', delay_seconds => -5) $$,
  'PF009', array['opt_flow', 's', 'delay_seconds'], 'a negative delay_seconds is rejected'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'opt_flow'),
  0,
  'no step was created'
);

select * from finish();
rollback;
