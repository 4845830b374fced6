begin;
select plan(8);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('disposable');
select pgflow_tests.create_diamond_flow('bystander');
select pgflow.start_flow('disposable', '{}');
select pgflow.start_flow('disposable', '{}');
select pgflow.start_flow('bystander', '{}');
select pgflow_tests.claim('disposable');

select set_config('pgflow.allow_drop_flow', 'on', true);

select is(pgflow.drop_flow('disposable'), 2::bigint, 'drop_flow returns the number of runs dropped');
select is((select count(*)::int from pgflow.flows where flow_slug = 'disposable'), 0, 'the flow row is gone');
select is((select count(*)::int from pgflow.steps where flow_slug = 'disposable'), 0, 'its steps are gone');
select is((select count(*)::int from pgflow.deps where flow_slug = 'disposable'), 0, 'its deps are gone');
select is((select count(*)::int from pgflow.runs where flow_slug = 'disposable'), 0, 'its runs are gone');
select is((select count(*)::int from pgflow.step_states where flow_slug = 'disposable'), 0, 'its step states are gone');
select is((select count(*)::int from pgflow.step_tasks where flow_slug = 'disposable'), 0, 'its tasks are gone');
select is((select count(*)::int from pgflow.runs where flow_slug = 'bystander'), 1, 'other flows are untouched');

select * from finish();
rollback;
