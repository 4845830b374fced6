begin;
select plan(5);

select pgflow.create_flow('secret_conditions', secret_input => array['user_token', 'auth.key']);
select pgflow.add_step('secret_conditions', 'fetch', secret_output => array['token']);
select pgflow.add_step('secret_conditions', 'whole', secret_output => array['$']);

select pgflow_tests.throws_naming(
  $$select pgflow.add_step('secret_conditions', 'a', run_if => '{"run": {"user_token": "x"}}')$$,
  'PF030', array['secret_conditions', '''a''', 'run.user_token'],
  'run_if on a secret input path is refused, naming flow, step and path'
);
select pgflow_tests.throws_naming(
  $$select pgflow.add_step('secret_conditions', 'b', deps => array['fetch'],
      run_unless => '{"fetch": {"token": {"x": 1}}}')$$,
  'PF030', array['fetch.token'],
  'run_unless below a secret output path is refused'
);
select pgflow_tests.throws_naming(
  $$select pgflow.add_step('secret_conditions', 'c', run_if => '{"run": {"auth": "x"}}')$$,
  'PF030', array['run.auth.key'],
  'a condition on a value that contains a secret path is refused'
);
select pgflow_tests.throws_naming(
  $$select pgflow.add_step('secret_conditions', 'd', deps => array['whole'], run_if => '{"whole": {"k": 1}}')$$,
  'PF030', array['''whole'''],
  'a condition on a wholly secret output is refused'
);
select lives_ok(
  $$select pgflow.add_step('secret_conditions', 'e', deps => array['fetch'],
      run_if => '{"run": {"mode": "go", "auth": {}}, "fetch": {"status": 200}}')$$,
  'conditions on values that are not secret keep working'
);

select * from finish();
rollback;
