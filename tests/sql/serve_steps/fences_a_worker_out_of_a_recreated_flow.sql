begin;
select plan(3);

select pgflow.create_flow('recreated');
select pgflow.add_step('recreated', 'a');
select pgflow.register_worker(pgflow_tests.worker_id(), array['recreated']);
select pgflow.serve_steps(pgflow_tests.worker_id(), 'recreated', pgflow.flow_shape_hash('recreated'), array['a']);
select set_config('pgflow.allow_drop_flow', 'on', true);
select pgflow.drop_flow('recreated');
select pgflow.create_flow('recreated', timeout => 5);
select pgflow.add_step('recreated', 'a');
select pgflow.start_flow('recreated', '{}', 'e0000000-0000-4000-8000-000000000008');

select is(
  (select count(*)::int from pgflow_tests.claim('recreated')), 0,
  'a worker that verified the old registration claims nothing of the new one'
);
select is(
  pgflow.stale_flows(pgflow_tests.worker_id()), array['recreated'],
  'and can learn which flows it no longer serves'
);
select is(
  (select status from pgflow.step_tasks where run_id = 'e0000000-0000-4000-8000-000000000008'),
  'queued', 'the task waits for a worker with the current code'
);

select * from finish();
rollback;
