begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('tenants');
select pgflow.add_step('tenants', 'call', concurrency => 1, concurrency_key => '{run,tenant}');
select pgflow.start_flow('tenants', '{"tenant": "a"}') from generate_series(1, 3);
select pgflow.start_flow('tenants', '{"tenant": "b"}') from generate_series(1, 3);
select pgflow.start_flow('tenants', '{"no_tenant": true}') from generate_series(1, 3);

select results_eq(
  $$ select limit_bucket, count(*)::int from pgflow.step_tasks where flow_slug = 'tenants'
     group by limit_bucket order by limit_bucket $$,
  $$ values ('', 3), ('"a"', 3), ('"b"', 3) $$,
  'a single task''s bucket is its key value in the task input; a missing key shares one bucket'
);
select results_eq(
  $$ select r.input ->> 'tenant' from pgflow_tests.claim('tenants', 100) as c
     join pgflow.runs as r using (run_id) order by 1 $$,
  $$ values ('a'), ('b'), (null) $$,
  'a claim takes one task per key value'
);
select is((select count(*)::int from pgflow_tests.claim('tenants', 100)), 0, 'and nothing more while they run');

select * from finish();
rollback;
