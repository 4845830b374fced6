begin;
select plan(2);

-- the seeds' pitfall 1.1: userIsVIP undefined. containment makes it explicit:
-- the vip step (run_if) is skipped, the normal step (run_unless) runs.
select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('vip_or_not');
select pgflow.add_step('vip_or_not', 'check_vip');
select pgflow.add_step('vip_or_not', 'special_vip_step', deps => array['check_vip'], run_if => '{"run": {"userIsVIP": true}}');
select pgflow.add_step('vip_or_not', 'normal_step', deps => array['check_vip'], run_unless => '{"run": {"userIsVIP": true}}');
select pgflow.start_flow('vip_or_not', '{"name": "ann"}', 'c1000000-0000-4000-8000-000000000005');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000005', 'check_vip', '1');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000005', 'special_vip_step'), 'skipped', 'run_if on a missing key is unmet');
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000005', 'normal_step'), 'started', 'run_unless on a missing key is met');

select * from finish();
rollback;
