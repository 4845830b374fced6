begin;
select plan(8);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cols_flow', timeout => 45);
select pgflow.add_step('cols_flow', 'only');
select pgflow.start_flow('cols_flow', '{"x": 1}', 'cccccccc-0000-4000-8000-000000000001');

create temp table claimed as
select * from pgflow.claim_tasks(worker_id => pgflow_tests.worker_id(), max_tasks => 10, flow_slugs => array['cols_flow']);

select is((select count(*)::int from claimed), 1, 'one task claimed');
select is((select run_id from claimed), 'cccccccc-0000-4000-8000-000000000001'::uuid, 'run_id');
select is((select flow_slug from claimed), 'cols_flow', 'flow_slug');
select is((select step_slug from claimed), 'only', 'step_slug');
select is((select task_index from claimed), 0, 'task_index');
select is((select attempt from claimed), 1, 'the first claim is attempt 1');
select is((select input from claimed), '{"run": {"x": 1}}'::jsonb, 'input');
select is((select lease_expires_at from claimed), '2030-01-01 00:00:45+00'::timestamptz, 'the lease lasts the step timeout');

select * from finish();
rollback;
