begin;
select plan(5);

select pgflow.create_flow('cond_type_flow');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('cond_type_flow', 's', run_if => '[1, 2]') $$,
  'PF009', array['cond_type_flow', 's', 'run_if'], 'an array run_if is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('cond_type_flow', 's', run_if => '"yes"') $$,
  'PF009', array['cond_type_flow', 's', 'run_if'], 'a string run_if is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('cond_type_flow', 's', run_unless => '42') $$,
  'PF009', array['cond_type_flow', 's', 'run_unless'], 'a number run_unless is rejected'
);
select lives_ok(
  $$ select pgflow.add_step('cond_type_flow', 'ok_step', run_if => '{"run": {"a": 1}}', run_unless => '{}') $$,
  'object conditions are accepted'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'cond_type_flow'),
  1,
  'only the valid step exists'
);

select * from finish();
rollback;
