begin;
select plan(1);

select pgflow_tests.throws_naming(
  $$ select pgflow.verify_flow('never_deployed', repeat('0', 64), array['a']) $$,
  'PF002', array['never_deployed'], 'verifying a flow that is not in the database raises PF002'
);

select * from finish();
rollback;
