begin;
select plan(2);

select pgflow.create_flow('cancel_history');
select pgflow.add_step('cancel_history', 'slow');
select pgflow.start_flow('cancel_history', '{}', 'e0000000-0000-4000-8000-000000000006');
select pgflow_tests.claim('cancel_history');
select pgflow.cancel_run('e0000000-0000-4000-8000-000000000006');

select is(
  (select outcome from pgflow.task_attempts where run_id = 'e0000000-0000-4000-8000-000000000006'),
  'cancelled', 'the running attempt of a cancelled run is recorded as cancelled'
);
select pgflow_tests.advance('2 days');
select pgflow.prune_runs('1 day');
select is(
  (select count(*)::int from pgflow.task_attempts where run_id = 'e0000000-0000-4000-8000-000000000006'),
  0, 'pruning the run removes its attempts'
);

select * from finish();
rollback;
