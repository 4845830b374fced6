begin;
select plan(5);

select pgflow_tests.create_diamond_flow('rerun_diamond');
select pgflow.start_flow('rerun_diamond', '{}', 'f1000000-0000-4000-8000-000000000003');
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000003', 'website', '"page"');
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000003', 'sentiment', '"bad"');
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000003', 'summary', '"sum"');
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000003', 'saveToDb', '"saved bad"');
select is(pgflow_tests.run_status('f1000000-0000-4000-8000-000000000003'), 'completed', 'the run completed');

select pgflow.retry_run('f1000000-0000-4000-8000-000000000003', array['sentiment']);
select is(
  (select array_agg(step_slug || ' ' || status order by step_slug) from pgflow.step_states
   where run_id = 'f1000000-0000-4000-8000-000000000003'),
  array['saveToDb created', 'sentiment started', 'summary completed', 'website completed'],
  'the named step and what is downstream run again; the rest is kept'
);
select is(
  (select status || ' ' || coalesce(output::text, 'no output') from pgflow.runs
   where run_id = 'f1000000-0000-4000-8000-000000000003'),
  'started no output', 'the run is started again without its old output'
);
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000003', 'sentiment', '"good"');
select is(
  (select input from pgflow_tests.claim('rerun_diamond')),
  '{"run": {}, "summary": "sum", "sentiment": "good"}'::jsonb,
  'the join sees the new output and the kept one'
);
select is(
  (select array_agg(step_slug || ' ' || attempt || ' ' || outcome order by step_slug, attempt)
   from pgflow.run_attempts('f1000000-0000-4000-8000-000000000003') where step_slug = 'sentiment'),
  array['sentiment 1 superseded', 'sentiment 2 completed'],
  'the step''s first completion stays on record, superseded, beside the new one'
);

select * from finish();
rollback;
