begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cancel_late');
select pgflow.add_step('cancel_late', 'a');
select pgflow.add_step('cancel_late', 'b');
select pgflow.start_flow('cancel_late', '{}', 'ca000000-0000-4000-8000-000000000003');
select pgflow_tests.claim('cancel_late');
select pgflow.cancel_run('ca000000-0000-4000-8000-000000000003');

select is(
  (select t.status::text from pgflow.complete_task('ca000000-0000-4000-8000-000000000003', 'a', '"late"', 0, 1) as t),
  'cancelled', 'a late complete_task returns the cancelled task'
);
select is(
  (select t.status::text from pgflow.fail_task('ca000000-0000-4000-8000-000000000003', 'b', 'late error', 0, 1) as t),
  'cancelled', 'a late fail_task returns the cancelled task'
);
select is(
  (select count(*)::int from pgflow.step_tasks
   where run_id = 'ca000000-0000-4000-8000-000000000003' and (output is not null or error_message is not null)),
  0, 'nothing late was recorded'
);
select is(pgflow_tests.run_status('ca000000-0000-4000-8000-000000000003'), 'cancelled', 'the run stays cancelled');

select * from finish();
rollback;
