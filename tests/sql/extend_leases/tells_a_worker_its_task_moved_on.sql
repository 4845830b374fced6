begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('moved_on', timeout => 3);
select pgflow.add_step('moved_on', 'slow');
select pgflow.start_flow('moved_on', '{}', 'e0000000-0000-4000-8000-000000000002');
select pgflow.start_flow('moved_on', '{}', 'e0000000-0000-4000-8000-000000000003');
select pgflow_tests.claim('moved_on');
select pgflow.cancel_run('e0000000-0000-4000-8000-000000000003');
-- the first run's lease lapses and another worker takes the task over
select pgflow_tests.set_now('2030-01-01 00:00:10+00');
select pgflow.claim_tasks('22222222-2222-4222-8222-222222222222', 10, array['moved_on']);

select is(
  (select array_agg(status order by run_id) from pgflow.extend_leases(
     pgflow_tests.worker_id(),
     array['e0000000-0000-4000-8000-000000000002'::uuid, 'e0000000-0000-4000-8000-000000000003'],
     array['slow', 'slow'], array[0, 0], array[1, 1])),
  array['lost', 'cancelled'],
  'a task taken over is lost, a task of a cancelled run is cancelled'
);
select is(
  (select status from pgflow.extend_leases(
     '22222222-2222-4222-8222-222222222222', array['e0000000-0000-4000-8000-000000000002'::uuid],
     array['slow'], array[0], array[1])),
  'lost', 'a worker cannot extend an attempt it does not hold'
);
select is(
  (select visible_at from pgflow.step_tasks where run_id = 'e0000000-0000-4000-8000-000000000002'),
  '2030-01-01 00:00:13+00'::timestamptz, 'and the new holder''s lease is untouched'
);
select throws_ok(
  $$ select pgflow.extend_leases(null, '{}', '{}', '{}', '{}') $$, 'PF009', null,
  'a null worker_id is refused'
);

select * from finish();
rollback;
