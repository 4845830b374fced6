begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('leased_flow', timeout => 30);
select pgflow.add_step('leased_flow', 'only');
select pgflow.start_flow('leased_flow', '{}');
select pgflow_tests.claim('leased_flow');

select is((select count(*)::int from pgflow_tests.claim('leased_flow')), 0, 'a leased task is not claimed again');
select pgflow_tests.set_now('2030-01-01 00:00:29+00');
select is((select count(*)::int from pgflow_tests.claim('leased_flow')), 0, 'not even a second before the lease ends');

select * from finish();
rollback;
