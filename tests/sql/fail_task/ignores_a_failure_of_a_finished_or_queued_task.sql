begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('finished_fail', max_attempts => 3, base_delay => 10);
select pgflow.add_step('finished_fail', 'done');
select pgflow.add_step('finished_fail', 'flaky');
select pgflow.start_flow('finished_fail', '{}', 'fa000000-0000-4000-8000-00000000000b');
select pgflow_tests.claim('finished_fail');
select pgflow.complete_task('fa000000-0000-4000-8000-00000000000b', 'done', '"ok"', 0, 1);

select is(
  (select t.status::text from pgflow.fail_task('fa000000-0000-4000-8000-00000000000b', 'done', 'too late', 0, 1) as t),
  'completed', 'failing a completed task is a no-op'
);
select is(
  (select error_message from pgflow.step_tasks
   where run_id = 'fa000000-0000-4000-8000-00000000000b' and step_slug = 'done'),
  null, 'the completed task keeps no error'
);

-- a retry is queued: failing it again (no attempt given) must not count another attempt.
select pgflow.fail_task('fa000000-0000-4000-8000-00000000000b', 'flaky', 'first', 0, 1);
select is(
  (select t.status::text from pgflow.fail_task('fa000000-0000-4000-8000-00000000000b', 'flaky', 'second') as t),
  'queued', 'failing a queued task is ignored'
);
select is(
  (select visible_at from pgflow.step_tasks
   where run_id = 'fa000000-0000-4000-8000-00000000000b' and step_slug = 'flaky'),
  '2030-01-01 00:00:10+00'::timestamptz, 'its retry time is unchanged'
);
select is(
  (select error_message from pgflow.step_tasks
   where run_id = 'fa000000-0000-4000-8000-00000000000b' and step_slug = 'flaky'),
  'first', 'its error is unchanged'
);

select * from finish();
rollback;
