begin;
select plan(8);

select pgflow.create_flow('lim_flow');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', concurrency => 0) $$,
  'PF020', array['lim_flow', 's', 'concurrency'], 'a concurrency of 0 is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', concurrency => -3) $$,
  'PF020', array['lim_flow', 's', 'concurrency'], 'a negative concurrency is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', rate_limit => 0, rate_period => 1) $$,
  'PF020', array['lim_flow', 's', 'rate_limit'], 'a rate_limit of 0 is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', rate_limit => 5, rate_period => 0) $$,
  'PF020', array['lim_flow', 's', 'rate_period'], 'a rate_period of 0 is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', rate_limit => 5) $$,
  'PF020', array['lim_flow', 's', 'rate_period'], 'a rate_limit without its period is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', concurrency => 1, concurrency_key => '{}') $$,
  'PF020', array['lim_flow', 's', 'concurrency_key'], 'an empty key path is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', concurrency => 1, concurrency_key => array['run', null]) $$,
  'PF020', array['lim_flow', 's', 'concurrency_key'], 'a key path with a null element is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('lim_flow', 's', concurrency => 1, concurrency_key => '{{run},{tenant}}') $$,
  'PF020', array['lim_flow', 's', 'concurrency_key'], 'a two-dimensional key path is rejected'
);

select * from finish();
rollback;
