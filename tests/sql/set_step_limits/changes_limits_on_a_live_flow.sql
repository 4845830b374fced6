begin;
select plan(4);

select pgflow.create_flow('live');
select pgflow.add_step('live', 'call', step_type => 'map');
select pgflow.start_flow('live', '[{"tenant": "a"}, {"tenant": "b"}, {"other": 1}, {"tenant": null}]');
select set_config('live.hash', pgflow.flow_shape_hash('live'), true);

select results_eq(
  $$ select step_slug, concurrency, concurrency_key, rate_limit, rate_period
     from pgflow.set_step_limits('live', 'call', concurrency => 1, concurrency_key => '{tenant}') $$,
  $$ values ('call', 1, '{tenant}'::text[], null::int, null::int) $$,
  'set_step_limits returns the step''s new limits'
);
select results_eq(
  $$ select task_index, limit_bucket from pgflow.step_tasks where flow_slug = 'live' order by task_index $$,
  $$ values (0, '"a"'), (1, '"b"'), (2, ''), (3, '') $$,
  'the queued tasks are bucketed by the new key at once; a missing or null key shares one bucket'
);
select is(pgflow.flow_shape_hash('live'), current_setting('live.hash'), 'the shape hash is unchanged');
select set_config('live.count', count(*)::text, true) from pgflow.claim_tasks(pgflow_tests.worker_id(), 10, array['live']);
select is(current_setting('live.count'), '3', 'a claim takes one task per bucket: "a", "b" and the shared one');

select * from finish();
rollback;
