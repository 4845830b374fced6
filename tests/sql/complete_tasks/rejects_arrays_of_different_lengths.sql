begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('batch_bad');
select pgflow.add_step('batch_bad', 'only');
select pgflow.start_flow('batch_bad', '{}', 'cb000000-0000-4000-8000-000000000005');
select pgflow_tests.claim('batch_bad');

select throws_ok(
  $$ select pgflow.complete_tasks(
       array['cb000000-0000-4000-8000-000000000005']::uuid[], array['only', 'only'],
       array['1']::jsonb[], array[0], array[1]) $$,
  null::char(5), null,
  'arrays of different lengths raise an error instead of pairing values silently'
);
select is(
  pgflow_tests.task_status('cb000000-0000-4000-8000-000000000005', 'only'), 'started',
  'nothing was completed'
);

select * from finish();
rollback;
