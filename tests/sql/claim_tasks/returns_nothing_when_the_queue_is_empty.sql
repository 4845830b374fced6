begin;
select plan(1);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('empty_queue');
select pgflow.add_step('empty_queue', 'only');

select is((select count(*)::int from pgflow_tests.claim('empty_queue')), 0, 'no run, no task');

select * from finish();
rollback;
