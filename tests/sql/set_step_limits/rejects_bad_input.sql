begin;
select plan(4);

select pgflow.create_flow('bad');
select pgflow.add_step('bad', 'a');

select pgflow_tests.throws_naming(
  $$ select pgflow.set_step_limits('nope', 'a', concurrency => 1) $$,
  'PF002', array['nope'], 'an unknown flow is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.set_step_limits('bad', 'zz', concurrency => 1) $$,
  'PF004', array['bad', 'zz'], 'an unknown step is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.set_step_limits('bad', 'a', concurrency => 0) $$,
  'PF020', array['bad', 'a', 'concurrency'], 'a zero concurrency is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.set_step_limits('bad', 'a', concurrency_key => '{run,tenant}') $$,
  'PF020', array['bad', 'a', 'concurrency_key'], 'a key without a limit is rejected'
);

select * from finish();
rollback;
