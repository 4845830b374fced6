begin;
select plan(2);

select pgflow_tests.create_diamond_flow('cancel_resume');
select pgflow.start_flow('cancel_resume', '{}', 'f1000000-0000-4000-8000-000000000005');
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000005', 'website', '"page"');
select pgflow_tests.claim('cancel_resume');
select pgflow.cancel_run('f1000000-0000-4000-8000-000000000005');

select pgflow.retry_run('f1000000-0000-4000-8000-000000000005');
select is(
  (select array_agg(step_slug || ' ' || status order by step_slug) from pgflow.step_states
   where run_id = 'f1000000-0000-4000-8000-000000000005'),
  array['saveToDb created', 'sentiment started', 'summary started', 'website completed'],
  'a cancelled run resumes where it stopped'
);
select is(
  (select array_agg(attempt || ' ' || outcome order by step_slug)
   from pgflow.run_attempts('f1000000-0000-4000-8000-000000000005') where step_slug <> 'website'),
  array['1 cancelled', '1 cancelled'], 'the cancelled attempts stay on record'
);

select * from finish();
rollback;
