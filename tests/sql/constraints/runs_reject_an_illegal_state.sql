begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('checked_runs');
select pgflow.add_step('checked_runs', 'only');
select pgflow.start_flow('checked_runs', '{}', 'c0c00000-0000-4000-8000-000000000001');

select pgflow_tests.throws_naming(
  $$ update pgflow.runs set status = 'paused' where run_id = 'c0c00000-0000-4000-8000-000000000001' $$,
  '23514', array['status_is_valid'], 'an unknown status is rejected by status_is_valid'
);
select pgflow_tests.throws_naming(
  $$ update pgflow.runs set completed_at = now() where run_id = 'c0c00000-0000-4000-8000-000000000001' $$,
  '23514', array['completed_at_only_when_completed'], 'completed_at on a started run is rejected'
);
select throws_ok(
  $$ update pgflow.runs set status = 'completed', completed_at = now() where run_id = 'c0c00000-0000-4000-8000-000000000001' $$,
  '23514', null, 'a completed run with remaining steps is rejected'
);
select throws_ok(
  $$ update pgflow.runs set output = '{}' where run_id = 'c0c00000-0000-4000-8000-000000000001' $$,
  '0A000', null, 'an output cannot be written: the view pgflow.runs derives it from the tasks'
);
select throws_ok(
  $$ update pgflow.runs set status = 'failed' where run_id = 'c0c00000-0000-4000-8000-000000000001' $$,
  '23514', null, 'a failed run without failed_at is rejected'
);

select * from finish();
rollback;
