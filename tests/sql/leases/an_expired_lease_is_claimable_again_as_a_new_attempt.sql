begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('lease_flow', max_attempts => 3, timeout => 30);
select pgflow.add_step('lease_flow', 'slow');
select pgflow.start_flow('lease_flow', '{"k": 1}', '1e000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('lease_flow');

select pgflow_tests.set_now('2030-01-01 00:00:29.999+00');
select is((select count(*)::int from pgflow_tests.claim('lease_flow')), 0, 'still leased just before the timeout');

select pgflow_tests.set_now('2030-01-01 00:00:30+00');
create temp table reclaimed as select * from pgflow_tests.claim('lease_flow');
select is((select attempt from reclaimed), 2, 'claimable again once the lease expired, as attempt 2');
select is((select input from reclaimed), '{"run": {"k": 1}}'::jsonb, 'with the same input');
select is((select lease_expires_at from reclaimed), '2030-01-01 00:01:00+00'::timestamptz, 'with a fresh lease');
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = '1e000000-0000-4000-8000-000000000001'),
  2, 'the expired lease counted as an attempt'
);

select * from finish();
rollback;
