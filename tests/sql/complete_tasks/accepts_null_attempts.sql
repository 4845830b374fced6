begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('batch_null');
select pgflow.add_step('batch_null', 'only');
select pgflow.start_flow('batch_null', '{}', 'cb000000-0000-4000-8000-000000000002');
select pgflow_tests.claim('batch_null');

select is(
  pgflow.complete_tasks(
    array['cb000000-0000-4000-8000-000000000002']::uuid[], array['only'], array['1']::jsonb[],
    array[0], array[null]::int[]
  ),
  1,
  'a null attempt means the current one'
);
select is(pgflow_tests.run_status('cb000000-0000-4000-8000-000000000002'), 'completed', 'the run completed');

select * from finish();
rollback;
