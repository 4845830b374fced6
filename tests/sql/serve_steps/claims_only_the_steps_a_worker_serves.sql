begin;
select plan(3);

select pgflow.create_flow('polyglot');
select pgflow.add_step('polyglot', 'python_step');
select pgflow.add_step('polyglot', 'rust_step');
select pgflow.start_flow('polyglot', '{}', 'e0000000-0000-4000-8000-000000000007');
select pgflow.register_worker(pgflow_tests.worker_id(), array['polyglot']);
select pgflow.serve_steps(
  pgflow_tests.worker_id(), 'polyglot', pgflow.flow_shape_hash('polyglot'), array['python_step']
);

select is(
  (select array_agg(step_slug) from pgflow_tests.claim('polyglot')),
  array['python_step'], 'a worker that serves one step claims only that step'
);
select is(
  (select array_agg(step_slug) from pgflow.claim_tasks(
     '33333333-3333-4333-8333-333333333333', 10, array['polyglot'])),
  array['rust_step'], 'the other stays queued for a worker that declared nothing'
);
select throws_ok(
  $$ select pgflow.serve_steps(pgflow_tests.worker_id(), 'polyglot', 'not-the-hash', array['python_step']) $$,
  'PF008', null, 'a worker cannot serve a definition that is not the deployed one'
);

select * from finish();
rollback;
