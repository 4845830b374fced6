begin;
select plan(2);

select pgflow.create_flow('attempt_zero');
select pgflow.add_step('attempt_zero', 'only');
select pgflow.start_flow('attempt_zero', '{}', 'ba000000-0000-4000-8000-000000000005');
select pgflow_tests.claim('attempt_zero');

select pgflow_tests.throws_naming(
  $$ select pgflow.complete_task('ba000000-0000-4000-8000-000000000005', 'only', '1', 0, 0) $$,
  'PF009', array['only'], 'complete_task with attempt 0 raises PF009'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.fail_task('ba000000-0000-4000-8000-000000000005', 'only', 'x', 0, -1) $$,
  'PF009', array['only'], 'fail_task with a negative attempt raises PF009'
);

select * from finish();
rollback;
