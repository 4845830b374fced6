begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('lease_skip', max_attempts => 1, timeout => 10);
select pgflow.add_step('lease_skip', 'hangs', when_exhausted => 'skip');
select pgflow.add_step('lease_skip', 'next', deps => array['hangs']);
select pgflow.start_flow('lease_skip', '{}', 'e0000000-0000-4000-8000-000000000003');
select pgflow_tests.claim('lease_skip');
select pgflow_tests.set_now('2030-01-01 00:00:11+00');
select pgflow_tests.claim('lease_skip');  -- finds the expired, exhausted lease

select is(
  (select status::text || '/' || skip_reason from pgflow.step_states
   where run_id = 'e0000000-0000-4000-8000-000000000003' and step_slug = 'hangs'),
  'skipped/retries_exhausted', 'the lease expiry used the when_exhausted policy'
);
select is(pgflow_tests.step_status('e0000000-0000-4000-8000-000000000003', 'next'), 'started', 'its dependent proceeds');

select * from finish();
rollback;
