begin;
select plan(5);

select pgflow.create_flow('old_version');
select pgflow.add_step('old_version', 'only');
select pgflow.start_flow('old_version', '{}', 'f1000000-0000-4000-8000-000000000008');
select pgflow.retire_flow('old_version');

select throws_like(
  $$ select pgflow.start_flow('old_version', '{}') $$,
  'flow ''old_version'' is retired (since %): it takes no new runs',
  'a retired flow takes no new runs'
);
select is(
  (select status from pgflow.start_flow('old_version', '{}', 'f1000000-0000-4000-8000-000000000008')),
  'started', 'an existing run id still returns its run'
);
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000008', 'only', '1');
select is(
  pgflow_tests.run_status('f1000000-0000-4000-8000-000000000008'), 'completed', 'a run in flight finishes'
);
select pgflow.unretire_flow('old_version');
select is(
  (select status from pgflow.start_flow('old_version', '{}')), 'started', 'unretired, it takes runs again'
);
create role pgflow_tests_retire_client nologin in role pgflow_client;
set local role pgflow_tests_retire_client;
select throws_ok(
  $$ select pgflow.retire_flow('old_version') $$, '42501', null, 'a client cannot retire a flow'
);

select * from finish();
rollback;
