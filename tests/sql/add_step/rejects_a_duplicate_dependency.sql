begin;
select plan(2);

select pgflow.create_flow('dup_dep_flow');
select pgflow.add_step('dup_dep_flow', 'base');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('dup_dep_flow', 'twice', deps => array['base', 'base']) $$,
  'PF005', array['dup_dep_flow', 'twice', 'base'], 'PF005 names the flow, the step and the repeated dependency'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'dup_dep_flow'),
  1,
  'the step was not created'
);

select * from finish();
rollback;
