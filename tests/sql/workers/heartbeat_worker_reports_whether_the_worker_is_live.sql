begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.register_worker('aaaa0000-0000-4000-8000-000000000002');
select pgflow_tests.set_now('2030-01-01 00:00:15+00');

select is(pgflow.heartbeat_worker('aaaa0000-0000-4000-8000-000000000002'), true, 'a live worker beats');
select is(
  (select last_heartbeat_at from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000002'),
  '2030-01-01 00:00:15+00'::timestamptz, 'last_heartbeat_at moves'
);
select is(pgflow.heartbeat_worker('aaaa0000-0000-4000-8000-0000000000ff'), false, 'an unknown worker gets false (it should register)');

select pgflow.stop_worker('aaaa0000-0000-4000-8000-000000000002');
select is(pgflow.heartbeat_worker('aaaa0000-0000-4000-8000-000000000002'), false, 'a stopped worker gets false');
select is(
  (select last_heartbeat_at from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000002'),
  '2030-01-01 00:00:15+00'::timestamptz, 'and its heartbeat is not moved'
);

select * from finish();
rollback;
