begin;
select plan(6);

select pgflow_tests.create_diamond_flow('no_retry');
select pgflow.start_flow('no_retry', '{}', 'f1000000-0000-4000-8000-000000000006');
select throws_ok(
  $$ select pgflow.retry_run('f1000000-0000-4000-8000-00000000ffff') $$, 'PF010', null, 'an unknown run'
);
select throws_ok(
  $$ select pgflow.retry_run('f1000000-0000-4000-8000-000000000006') $$, 'PF019', null, 'a run still running'
);
select throws_ok(
  $$ select pgflow.retry_run('f1000000-0000-4000-8000-000000000006', array['website']) $$, 'PF019', null,
  'a run still running, from a step too'
);
select pgflow.cancel_run('f1000000-0000-4000-8000-000000000006');
select throws_ok(
  $$ select pgflow.retry_run('f1000000-0000-4000-8000-000000000006', array['nope']) $$, 'PF004',
  'flow ''no_retry'' has no step ''nope''', 'an unknown step'
);
select throws_ok(
  $$ select pgflow.retry_run('f1000000-0000-4000-8000-000000000006', '{}') $$, 'PF009', null,
  'an empty from_steps'
);
select is(
  pgflow_tests.run_status('f1000000-0000-4000-8000-000000000006'), 'cancelled', 'nothing changed'
);

select * from finish();
rollback;
