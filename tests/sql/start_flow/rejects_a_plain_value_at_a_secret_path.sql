begin;
select plan(4);

select pgflow.create_flow('secret_input', secret_input => array['token', 'cards']);
select pgflow.add_step('secret_input', 'only');

select pgflow_tests.throws_naming(
  $$select pgflow.start_flow('secret_input', '{"token": "hunter2-plain"}')$$,
  'PF031', array['secret_input', '''token'''],
  'a plain secret is refused, naming the flow and the path'
);
select throws_like(
  $$select pgflow.start_flow('secret_input', '{"token": "hunter2-plain"}')$$,
  '%secret path%', 'the message is about the path'
);
select pgflow_tests.throws_naming(
  $$select pgflow.start_flow('secret_input', '{"cards": [{"$pgflow": "sealed"}, "4111-plain"]}')$$,
  'PF031', array['''cards'''],
  'each element of a secret array must be sealed'
);
select lives_ok(
  $$select pgflow.start_flow('secret_input',
      '{"token": {"$pgflow": "sealed", "ct": "x"}, "cards": [{"$pgflow": "sealed"}], "other": "plain"}')$$,
  'sealed secrets, an array of sealed elements and other plain values are accepted'
);

select * from finish();
rollback;
