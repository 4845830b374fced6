begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('step_delay_flow', max_attempts => 5, base_delay => 100);
select pgflow.add_step('step_delay_flow', 'quick', base_delay => 5);
select pgflow.start_flow('step_delay_flow', '{}', 'fa000000-0000-4000-8000-000000000003');

select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000003', 'quick'), '5 seconds'::interval, 'the step base_delay wins');
select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000003', 'quick'), '10 seconds'::interval, 'and doubles');

select * from finish();
rollback;
