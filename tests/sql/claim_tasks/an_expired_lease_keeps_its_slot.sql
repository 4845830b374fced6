begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('lease', timeout => 30, max_attempts => 3);
select pgflow.add_step('lease', 'each', step_type => 'map', concurrency => 1);
select pgflow.start_flow('lease', '[1, 2]');

select is((select count(*)::int from pgflow_tests.claim('lease', 10)), 1, 'one task takes the only slot');
select pgflow_tests.set_now('2030-01-01 00:01:00+00');
select results_eq(
  $$ select task_index, attempt from pgflow_tests.claim('lease', 10) $$,
  $$ values (0, 2) $$,
  'after its lease expired, the claim takes that task again, not the queued one'
);
select is(
  (select status from pgflow.step_tasks where flow_slug = 'lease' and task_index = 1), 'queued',
  'the other task still waits for the slot'
);

select * from finish();
rollback;
