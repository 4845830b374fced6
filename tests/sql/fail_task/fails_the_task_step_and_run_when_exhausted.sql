begin;
select plan(9);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('exhaust_flow', max_attempts => 2, base_delay => 1);
select pgflow.add_step('exhaust_flow', 'doomed');
select pgflow.add_step('exhaust_flow', 'never', deps => array['doomed']);
select pgflow.start_flow('exhaust_flow', '{}', 'fa000000-0000-4000-8000-000000000007');

select pgflow_tests.fail_and_wait('fa000000-0000-4000-8000-000000000007', 'doomed');
select pgflow_tests.claim('exhaust_flow');
select pgflow_tests.set_now('2030-01-01 00:00:05+00');

select is(
  (select t.status::text from pgflow.fail_task('fa000000-0000-4000-8000-000000000007', 'doomed', 'final boom', 0, 2) as t),
  'failed', 'the last attempt fails the task'
);
select is(
  (select failed_at from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-000000000007' and step_slug = 'doomed'),
  '2030-01-01 00:00:05+00'::timestamptz, 'the task failed_at is set'
);
select is(
  (select error_message from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-000000000007' and step_slug = 'doomed'),
  'final boom', 'the task keeps the last error'
);
select is(pgflow_tests.step_status('fa000000-0000-4000-8000-000000000007', 'doomed'), 'failed', 'the step failed');
select is(pgflow_tests.step_status('fa000000-0000-4000-8000-000000000007', 'never'), 'cancelled', 'the unstarted dependent is cancelled');
select is(pgflow_tests.run_status('fa000000-0000-4000-8000-000000000007'), 'failed', 'the run failed');
select is(
  (select failed_at from pgflow.runs where run_id = 'fa000000-0000-4000-8000-000000000007'),
  '2030-01-01 00:00:05+00'::timestamptz, 'the run failed_at is set'
);
select isnt(
  (select error_message from pgflow.runs where run_id = 'fa000000-0000-4000-8000-000000000007'),
  null, 'the run says why it failed'
);
select is(
  (select completed_at from pgflow.runs where run_id = 'fa000000-0000-4000-8000-000000000007'),
  null, 'a failed run has no completed_at'
);

select * from finish();
rollback;
