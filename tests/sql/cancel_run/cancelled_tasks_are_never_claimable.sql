begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cancel_claim', timeout => 10);
select pgflow.add_step('cancel_claim', 'each', step_type => 'map');
select pgflow.start_flow('cancel_claim', '[1, 2, 3]', 'ca000000-0000-4000-8000-000000000002');
select pgflow_tests.claim('cancel_claim', 1);                    -- one leased, two queued
select pgflow.cancel_run('ca000000-0000-4000-8000-000000000002');

select is((select count(*)::int from pgflow_tests.claim('cancel_claim')), 0, 'queued tasks of a cancelled run are not claimable');
select pgflow_tests.set_now('2030-01-01 01:00:00+00');
select is((select count(*)::int from pgflow_tests.claim('cancel_claim')), 0, 'nor is the leased one after its lease expired');

select * from finish();
rollback;
