begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('no_delay', max_attempts => 3, base_delay => 0);
select pgflow.add_step('no_delay', 'again');
select pgflow.start_flow('no_delay', '{}', 'fa000000-0000-4000-8000-000000000006');

select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000006', 'again'), '0 seconds'::interval, 'no wait');
select is((select attempt from pgflow_tests.claim('no_delay')), 2, 'claimable immediately as the next attempt');

select * from finish();
rollback;
