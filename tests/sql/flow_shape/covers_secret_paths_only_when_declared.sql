begin;
select plan(5);

select pgflow.create_flow('plain_flow');
select pgflow.add_step('plain_flow', 'only');
select pgflow.create_flow('secret_flow', secret_input => array['token', 'token', 'auth.key']);
select pgflow.add_step('secret_flow', 'only', secret_output => array['$']);

select ok(
  not pgflow.flow_shape('plain_flow') ? 'secret_input'
  and not pgflow.flow_shape('plain_flow') -> 'steps' -> 0 ? 'secret_output',
  'a flow without secrets has the shape (and hash) it had before secrets existed'
);
select is(
  pgflow.flow_shape('secret_flow') -> 'secret_input', '["auth.key", "token"]'::jsonb,
  'secret input paths are in the shape, sorted and distinct'
);
select is(
  pgflow.flow_shape('secret_flow') -> 'steps' -> 0 -> 'secret_output', '["$"]'::jsonb,
  'secret output paths are in the shape'
);
select pgflow_tests.throws_naming(
  $$select pgflow.create_flow('secret_flow', secret_input => array['token'])$$,
  'PF008', array['secret_input'],
  'changing the secret paths is a different shape'
);
select pgflow_tests.throws_naming(
  $$select pgflow.create_flow('bad_paths', secret_input => array['a..b'])$$,
  'PF009', array['bad_paths', 'a..b'],
  'a malformed path is refused'
);

select * from finish();
rollback;
