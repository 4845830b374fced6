begin;
select plan(1);

select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('nowhere_flow', '{}') $$,
  'PF002', array['nowhere_flow'], 'starting an unknown flow raises PF002'
);

select * from finish();
rollback;
