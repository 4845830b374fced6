begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('vip_flow');
select pgflow.add_step('vip_flow', 'check_vip');
select pgflow.add_step('vip_flow', 'special_vip_step', deps => array['check_vip'], run_if => '{"run": {"userIsVIP": true}}');
select pgflow.start_flow('vip_flow', '{"userIsVIP": true}', 'c1000000-0000-4000-8000-000000000001');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000001', 'check_vip', '"checked"');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000001', 'special_vip_step'), 'started', 'the condition holds: the step starts');
select is(pgflow_tests.claimed_steps('vip_flow'), array['special_vip_step'], 'and its task is claimable');

select * from finish();
rollback;
