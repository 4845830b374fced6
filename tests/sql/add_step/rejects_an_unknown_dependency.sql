begin;
select plan(2);

select pgflow.create_flow('unknown_dep_flow');
select pgflow.add_step('unknown_dep_flow', 'known');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('unknown_dep_flow', 'needy', deps => array['known', 'ghost']) $$,
  'PF003', array['unknown_dep_flow', 'needy', 'ghost'], 'PF003 names the flow, the step and the missing dependency'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'unknown_dep_flow'),
  1,
  'the step was not created'
);

select * from finish();
rollback;
