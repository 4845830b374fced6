begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('half_map', max_attempts => 1);
select pgflow.add_step('half_map', 'each', step_type => 'map');
select pgflow.add_step('half_map', 'total', deps => array['each']);
select pgflow.start_flow('half_map', '[1, 2, 3, 4]', 'f1000000-0000-4000-8000-000000000001');
-- elements 0 and 1 complete, element 2 fails the run, element 3 is cancelled
select pgflow.complete_task(c.run_id, c.step_slug, to_jsonb(c.task_index * 10), c.task_index, c.attempt)
from pgflow_tests.claim('half_map') as c where c.task_index in (0, 1);
select pgflow.fail_task('f1000000-0000-4000-8000-000000000001', 'each', 'boom', 2, 1);

select is(
  (select status || ' ' || retry_count from pgflow.retry_run('f1000000-0000-4000-8000-000000000001')),
  'started 1', 'a failed run is started again and its retry is counted'
);
select is(
  (select array_agg(task_index || ' ' || status order by task_index) from pgflow.step_tasks
   where run_id = 'f1000000-0000-4000-8000-000000000001' and step_slug = 'each'),
  array['0 completed', '1 completed', '2 queued', '3 queued'],
  'completed elements are kept; the failed and the cancelled one queue again'
);
select is(
  (select array_agg(task_index || ' attempt ' || attempt order by task_index) from pgflow_tests.claim('half_map')),
  array['2 attempt 2', '3 attempt 2'],
  'the failed and the cancelled element run as attempt 2, within a fresh budget'
);
select pgflow.complete_task('f1000000-0000-4000-8000-000000000001', 'each', '20', 2, 2);
select pgflow.complete_task('f1000000-0000-4000-8000-000000000001', 'each', '30', 3, 2);
select is(
  (select output from pgflow.step_states
   where run_id = 'f1000000-0000-4000-8000-000000000001' and step_slug = 'each'),
  '[0, 10, 20, 30]'::jsonb, 'the map output has every element in order'
);
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000001', 'total', '60');
select is(
  pgflow_tests.run_status('f1000000-0000-4000-8000-000000000001'), 'completed',
  'the run completes'
);
select is(
  pgflow_tests.run_inconsistency('f1000000-0000-4000-8000-000000000001'), null, 'with consistent counters'
);

select * from finish();
rollback;
