begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');

select is(
  (select w.worker_id from pgflow.register_worker('aaaa0000-0000-4000-8000-000000000001', array['f1', 'f2'], 'host-a', 4242) as w),
  'aaaa0000-0000-4000-8000-000000000001'::uuid, 'register_worker returns the workers row'
);
select results_eq(
  $$ select flow_slugs, hostname, pid, started_at, last_heartbeat_at, stopped_at
     from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000001' $$,
  $$ values (array['f1', 'f2'], 'host-a', 4242, '2030-01-01 00:00:00+00'::timestamptz,
             '2030-01-01 00:00:00+00'::timestamptz, null::timestamptz) $$,
  'every field is recorded, timestamps from the clock'
);

select pgflow_tests.set_now('2030-01-01 00:10:00+00');
select pgflow.stop_worker('aaaa0000-0000-4000-8000-000000000001');
select pgflow_tests.set_now('2030-01-01 00:20:00+00');
select pgflow.register_worker('aaaa0000-0000-4000-8000-000000000001', null, 'host-b', 1);

select is((select count(*)::int from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000001'), 1, 're-registering keeps one row');
select is((select stopped_at from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000001'), null, 'and revives a stopped worker');
select is((select hostname from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000001'), 'host-b', 'with the new details');

select * from finish();
rollback;
