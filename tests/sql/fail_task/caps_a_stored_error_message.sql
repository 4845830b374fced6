begin;
select plan(2);

select pgflow.create_flow('long_error', max_attempts => 2);
select pgflow.add_step('long_error', 'only');
select pgflow.start_flow('long_error', '{}', 'f0000000-0000-4000-8000-000000000009');
select pgflow_tests.claim('long_error');
select pgflow.fail_task('f0000000-0000-4000-8000-000000000009', 'only', repeat('x', 1000000), 0, 1);

select is(
  (select length(error_message) from pgflow.step_tasks where run_id = 'f0000000-0000-4000-8000-000000000009'),
  65536, 'a 1 MB error message is stored cut at 65,536 characters'
);
select pgflow_tests.advance('1 hour');
select pgflow_tests.claim('long_error');
select pgflow.fail_task('f0000000-0000-4000-8000-000000000009', 'only', repeat('y', 1000000), 0, 2);
select cmp_ok(
  (select length(error_message) from pgflow.runs where run_id = 'f0000000-0000-4000-8000-000000000009'),
  '<', 66000, 'and so is the failed run''s message'
);

select * from finish();
rollback;
