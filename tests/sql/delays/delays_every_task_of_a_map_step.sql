begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('delayed_map');
select pgflow.add_step('delayed_map', 'each', step_type => 'map', delay_seconds => 5);
select pgflow.start_flow('delayed_map', '[1, 2, 3]', 'de000000-0000-4000-8000-000000000003');

select is((select count(*)::int from pgflow_tests.claim('delayed_map')), 0, 'no element is claimable early');
select pgflow_tests.set_now('2030-01-01 00:00:05+00');
select is((select count(*)::int from pgflow_tests.claim('delayed_map')), 3, 'all of them on time');

select * from finish();
rollback;
