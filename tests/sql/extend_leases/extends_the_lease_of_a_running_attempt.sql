begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('long_work', timeout => 3);
select pgflow.add_step('long_work', 'slow');
select pgflow.start_flow('long_work', '{}', 'e0000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('long_work');                   -- lease until 00:00:03
select pgflow_tests.set_now('2030-01-01 00:00:02+00');

select is(
  (select status || ' ' || lease_expires_at::text from pgflow.extend_leases(
     pgflow_tests.worker_id(), array['e0000000-0000-4000-8000-000000000001'::uuid], array['slow'], array[0], array[1])),
  'held 2030-01-01 00:00:05+00', 'a held attempt gets a fresh lease of the step timeout'
);
select pgflow_tests.set_now('2030-01-01 00:00:04+00');
select is(
  (select count(*)::int from pgflow_tests.claim('long_work')), 0,
  'after the first lease would have expired, nobody can claim the task'
);
select is(
  (select status || ' ' || attempts_count from pgflow.step_tasks
   where run_id = 'e0000000-0000-4000-8000-000000000001'),
  'started 1', 'it stays with its one attempt'
);

select * from finish();
rollback;
