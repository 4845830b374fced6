begin;
select plan(1);

select pgflow_tests.throws_naming(
  $$ select pgflow.cancel_run('ca000000-0000-4000-8000-0000000000ff') $$,
  'PF010', array['ca000000-0000-4000-8000-0000000000ff'], 'cancelling an unknown run raises PF010 naming it'
);

select * from finish();
rollback;
