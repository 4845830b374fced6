begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('checked_tasks', max_attempts => 2);
select pgflow.add_step('checked_tasks', 'only');
select pgflow.start_flow('checked_tasks', '{}', 'c0c00000-0000-4000-8000-000000000003');

select pgflow_tests.throws_naming(
  $$ update pgflow.step_tasks set status = 'running' where run_id = 'c0c00000-0000-4000-8000-000000000003' $$,
  '23514', array['status_is_valid'], 'an unknown task status is rejected'
);
select throws_ok(
  $$ update pgflow.step_tasks set status = 'started' where run_id = 'c0c00000-0000-4000-8000-000000000003' $$,
  '23514', null, 'a started task that was never attempted is rejected'
);
select throws_ok(
  $$ update pgflow.step_tasks set attempts_count = 3 where run_id = 'c0c00000-0000-4000-8000-000000000003' $$,
  '23514', null, 'more attempts than max_attempts is rejected'
);
select throws_ok(
  $$ update pgflow.step_tasks set output = '1' where run_id = 'c0c00000-0000-4000-8000-000000000003' $$,
  '23514', null, 'an output on a queued task is rejected'
);
select throws_ok(
  $$ update pgflow.step_tasks set status = 'completed' where run_id = 'c0c00000-0000-4000-8000-000000000003' $$,
  '23514', null, 'a completed task without completed_at is rejected'
);

select * from finish();
rollback;
