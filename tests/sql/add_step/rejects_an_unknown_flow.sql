begin;
select plan(1);

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('no_such_flow', 'orphan_step') $$,
  'PF002', array['no_such_flow'], 'adding a step to an unknown flow raises PF002 naming the flow'
);

select * from finish();
rollback;
