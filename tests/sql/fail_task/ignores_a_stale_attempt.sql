begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('stale_fail', max_attempts => 3, timeout => 10);
select pgflow.add_step('stale_fail', 'only');
select pgflow.start_flow('stale_fail', '{}', 'fa000000-0000-4000-8000-00000000000a');
select pgflow_tests.claim('stale_fail');                 -- attempt 1
select pgflow_tests.set_now('2030-01-01 00:00:11+00');
select pgflow_tests.claim('stale_fail');                 -- lease expired: attempt 2

select is(
  (select t.status::text from pgflow.fail_task('fa000000-0000-4000-8000-00000000000a', 'only', 'late failure', 0, 1) as t),
  'started', 'a fail_task naming an old attempt is ignored and returns the current row'
);
select is(
  (select attempts_count::int from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-00000000000a'),
  2, 'no attempt was added'
);
select is(
  (select error_message from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-00000000000a'),
  null, 'the stale error is not recorded'
);
select is(
  (select visible_at from pgflow.step_tasks where run_id = 'fa000000-0000-4000-8000-00000000000a'),
  '2030-01-01 00:00:21+00'::timestamptz, 'the current lease is untouched'
);

select * from finish();
rollback;
