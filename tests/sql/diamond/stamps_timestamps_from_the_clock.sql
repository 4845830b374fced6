begin;
select plan(8);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'dddddddd-0000-4000-8000-000000000001');

select pgflow_tests.set_now('2030-01-01 00:00:10+00');
select pgflow_tests.claim('diamond');
select is(
  (select started_at from pgflow.step_tasks
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'website'),
  '2030-01-01 00:00:10+00'::timestamptz, 'a task is started when claimed'
);

select pgflow_tests.set_now('2030-01-01 00:00:20+00');
select pgflow.complete_task('dddddddd-0000-4000-8000-000000000001', 'website', '"page"');
select is(
  (select completed_at from pgflow.step_tasks
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'website'),
  '2030-01-01 00:00:20+00'::timestamptz, 'a task is completed when completed'
);
select is(
  (select completed_at from pgflow.step_states
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'website'),
  '2030-01-01 00:00:20+00'::timestamptz, 'the step completes with its last task'
);
select is(
  (select started_at from pgflow.step_states
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'sentiment'),
  '2030-01-01 00:00:20+00'::timestamptz, 'dependents start when their last dep completes'
);
select is(
  (select queued_at from pgflow.step_tasks
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'sentiment'),
  '2030-01-01 00:00:20+00'::timestamptz, 'their tasks are queued then'
);
select is(
  (select completed_at from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  null, 'the run has no completed_at while started'
);

select pgflow_tests.set_now('2030-01-01 00:01:00+00');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'sentiment', '1');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'summary', '2');
select pgflow_tests.set_now('2030-01-01 00:02:00+00');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'saveToDb', '3');
select is(
  (select completed_at from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  '2030-01-01 00:02:00+00'::timestamptz, 'the run completed_at is the clock at the last completion'
);
select is(
  (select failed_at from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  null, 'a completed run has no failed_at'
);

select * from finish();
rollback;
