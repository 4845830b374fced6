begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'dddddddd-0000-4000-8000-000000000001');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'website', '"page"');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'sentiment', '0.5');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'summary', '"sum"');

select is(
  pgflow_tests.run_status('dddddddd-0000-4000-8000-000000000001'), 'started',
  'the run is not done before its leaf'
);
select is(
  (select output from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'), null,
  'no output before completion'
);

select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'saveToDb', '{"saved": true}');

select is(
  pgflow_tests.run_status('dddddddd-0000-4000-8000-000000000001'), 'completed',
  'the run completes with its last step'
);
select is(
  (select output from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  '{"saveToDb": {"saved": true}}'::jsonb,
  'the run output is an object of the leaf step outputs only'
);

select * from finish();
rollback;
