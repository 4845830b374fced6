begin;
select plan(5);

select pgflow.create_flow('failed_root', max_attempts => 2, base_delay => 0);
select pgflow.add_step('failed_root', 'first');
select pgflow.add_step('failed_root', 'second', deps => array['first']);
select pgflow.start_flow('failed_root', '{}', 'f1000000-0000-4000-8000-000000000002');
select pgflow_tests.fail_step('f1000000-0000-4000-8000-000000000002', 'first', 'one');
select pgflow_tests.fail_step('f1000000-0000-4000-8000-000000000002', 'first', 'two');
select is(pgflow_tests.run_status('f1000000-0000-4000-8000-000000000002'), 'failed', 'the run failed');

select pgflow.retry_run('f1000000-0000-4000-8000-000000000002');
select is(
  (select status || ' ' || remaining_steps || ' ' || coalesce(error_message, 'no error')
   from pgflow.runs where run_id = 'f1000000-0000-4000-8000-000000000002'),
  'started 2 no error', 'the run is started with both steps to do and no error'
);
select is(
  (select array_agg(step_slug || ' ' || status order by step_slug) from pgflow.step_states
   where run_id = 'f1000000-0000-4000-8000-000000000002'),
  array['first started', 'second created'], 'the failed root runs again, its dependent waits'
);
select is(
  (select attempts_count || ' of ' || max_attempts from pgflow.step_tasks
   where run_id = 'f1000000-0000-4000-8000-000000000002' and step_slug = 'first'),
  '2 of 4', 'attempt numbers go on, with a fresh budget of max_attempts'
);
select is(
  (select array_agg(attempt || ' ' || outcome order by attempt)
   from pgflow.run_attempts('f1000000-0000-4000-8000-000000000002')),
  array['1 failed', '2 failed'], 'the earlier attempts stay on record'
);

select * from finish();
rollback;
