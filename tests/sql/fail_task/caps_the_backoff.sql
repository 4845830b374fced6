begin;
select plan(4);

-- least(base_delay * 2^(n-1), greatest(base_delay, 86400))
select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cap_day', max_attempts => 5, base_delay => 50000);
select pgflow.add_step('cap_day', 'slow');
select pgflow.start_flow('cap_day', '{}', 'fa000000-0000-4000-8000-000000000004');

select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000004', 'slow'), '50000 seconds'::interval, 'first retry after base_delay');
select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000004', 'slow'), '86400 seconds'::interval, 'then capped at a day');

select pgflow.create_flow('cap_base', max_attempts => 5, base_delay => 100000);
select pgflow.add_step('cap_base', 'slower');
select pgflow.start_flow('cap_base', '{}', 'fa000000-0000-4000-8000-000000000005');

select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000005', 'slower'), '100000 seconds'::interval, 'a base_delay above a day is used as is');
select is(pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000005', 'slower'), '100000 seconds'::interval, 'and is the cap');

select * from finish();
rollback;
