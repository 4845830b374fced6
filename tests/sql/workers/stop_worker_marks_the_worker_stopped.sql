begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.register_worker('aaaa0000-0000-4000-8000-000000000003');
select pgflow_tests.set_now('2030-01-01 00:05:00+00');
select pgflow.stop_worker('aaaa0000-0000-4000-8000-000000000003');

select is(
  (select stopped_at from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000003'),
  '2030-01-01 00:05:00+00'::timestamptz, 'stopped_at is set'
);
select pgflow_tests.set_now('2030-01-01 00:09:00+00');
select lives_ok(
  $$ select pgflow.stop_worker('aaaa0000-0000-4000-8000-000000000003') $$, 'stopping twice is harmless'
);
select is(
  (select stopped_at from pgflow.workers where worker_id = 'aaaa0000-0000-4000-8000-000000000003'),
  '2030-01-01 00:05:00+00'::timestamptz, 'and keeps the first stop time'
);

select * from finish();
rollback;
