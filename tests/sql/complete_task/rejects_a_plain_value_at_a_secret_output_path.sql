begin;
select plan(3);

select pgflow.create_flow('secret_output');
select pgflow.add_step('secret_output', 'only', secret_output => array['$']);
select pgflow.start_flow('secret_output', '{}', 'c0000000-0000-4000-8000-000000000031');
select pgflow_tests.claim('secret_output');

select pgflow_tests.throws_naming(
  $$select pgflow.complete_task('c0000000-0000-4000-8000-000000000031', 'only', '{"token": "plain"}')$$,
  'PF031', array['secret_output', '''only''', '''$'''],
  'a plain secret output is refused, naming flow, step and path'
);
select is(
  pgflow_tests.task_status('c0000000-0000-4000-8000-000000000031', 'only'), 'started',
  'the refused completion changed nothing'
);
select lives_ok(
  $$select pgflow.complete_task('c0000000-0000-4000-8000-000000000031', 'only', '{"$pgflow": "sealed"}')$$,
  'a sealed output is accepted'
);

select * from finish();
rollback;
