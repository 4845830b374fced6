begin;
select plan(1);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('delay_retry', base_delay => 2, max_attempts => 3);
select pgflow.add_step('delay_retry', 'later', delay_seconds => 100);
select pgflow.start_flow('delay_retry', '{}', 'de000000-0000-4000-8000-000000000004');
select pgflow_tests.set_now('2030-01-01 00:01:40+00');

select is(
  pgflow_tests.fail_and_wait('de000000-0000-4000-8000-000000000004', 'later'),
  '2 seconds'::interval,
  'a retry waits the backoff only, not the step delay again'
);

select * from finish();
rollback;
