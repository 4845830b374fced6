begin;
select plan(2);

select pgflow.create_flow('fail_fence');
select pgflow.add_step('fail_fence', 'only');
select pgflow.start_flow('fail_fence', '{}', 'f0000000-0000-4000-8000-000000000007');
select pgflow_tests.claim('fail_fence');

select throws_ok(
  $$ select pgflow.fail_task('f0000000-0000-4000-8000-000000000007', 'only', 'forged', 0, 2) $$,
  'PF017', null, 'failing attempt 2 when one claim was made is refused'
);
select is(
  (select status || ' ' || attempts_count || ' ' || coalesce(error_message, 'no error')
   from pgflow.step_tasks where run_id = 'f0000000-0000-4000-8000-000000000007'),
  'started 1 no error', 'the task is untouched'
);

select * from finish();
rollback;
