begin;
select plan(2);

select pgflow.create_flow('late_old', max_attempts => 1);
select pgflow.add_step('late_old', 'slow');
select pgflow.start_flow('late_old', '{}', 'f1000000-0000-4000-8000-000000000007');
select pgflow_tests.claim('late_old');
select pgflow.cancel_run('f1000000-0000-4000-8000-000000000007');
select pgflow.retry_run('f1000000-0000-4000-8000-000000000007');

-- the handler of the cancelled attempt 1 reports anyway
select is(
  (select status from pgflow.complete_task('f1000000-0000-4000-8000-000000000007', 'slow', '"old"', 0, 1)),
  'queued', 'a late result of an attempt from before the retry changes nothing'
);
select is(
  (select attempt from pgflow_tests.claim('late_old')), 2, 'the task runs again as attempt 2'
);

select * from finish();
rollback;
