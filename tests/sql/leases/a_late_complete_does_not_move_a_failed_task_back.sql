begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('late_complete', max_attempts => 1, timeout => 10);
select pgflow.add_step('late_complete', 'work');
select pgflow.start_flow('late_complete', '{}', '1e000000-0000-4000-8000-000000000004');
select pgflow_tests.claim('late_complete');
select pgflow_tests.set_now('2030-01-01 00:00:11+00');
select pgflow_tests.claim('late_complete');               -- fails the expired, exhausted task

select is(
  (select t.status::text from pgflow.complete_task('1e000000-0000-4000-8000-000000000004', 'work', '"too late"', 0, 1) as t),
  'failed', 'a completion after the task failed is a no-op'
);
select is(pgflow_tests.run_status('1e000000-0000-4000-8000-000000000004'), 'failed', 'the run stays failed');
select is(
  (select output from pgflow.runs where run_id = '1e000000-0000-4000-8000-000000000004'), null,
  'no output appeared'
);

select * from finish();
rollback;
