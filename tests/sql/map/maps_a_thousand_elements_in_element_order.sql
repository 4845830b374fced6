begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('big_map');
select pgflow.add_step('big_map', 'each', step_type => 'map');
select pgflow.add_step('big_map', 'total', deps => array['each']);
select pgflow.start_flow(
  'big_map',
  (select jsonb_agg(i order by i) from generate_series(1, 1000) as i),
  '3a000000-0000-4000-8000-000000000005'
);

select is(
  (select count(*)::int from pgflow_tests.claim('big_map', 5000)),
  1000, 'a thousand tasks are claimable'
);

-- complete them backwards, each output derived from its input element.
do $$
declare
  v_i int;
begin
  for v_i in reverse 999..1 loop
    perform pgflow.complete_task('3a000000-0000-4000-8000-000000000005', 'each', to_jsonb((v_i + 1) * 10), v_i, 1);
  end loop;
end $$;

select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000005', 'each'), 'started', 'the step waits for its last task');
select is(
  (select remaining_tasks::int from pgflow.step_states
   where run_id = '3a000000-0000-4000-8000-000000000005' and step_slug = 'each'),
  1, 'one task left'
);

select pgflow.complete_task('3a000000-0000-4000-8000-000000000005', 'each', '10', 0, 1);

select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000005', 'each'), 'completed', 'the last task completes the step');
select is(
  (select output from pgflow.step_states
   where run_id = '3a000000-0000-4000-8000-000000000005' and step_slug = 'each'),
  (select jsonb_agg(i * 10 order by i) from generate_series(1, 1000) as i),
  'the output is the array of task outputs in element order'
);
select is(
  (select input -> 'each' -> 999 from pgflow_tests.claim('big_map')),
  '10000'::jsonb, 'the dependent sees the whole array'
);

select * from finish();
rollback;
