begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'dddddddd-0000-4000-8000-000000000001');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'website', '"page"');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'sentiment', '0.9');

select is(
  pgflow_tests.step_status('dddddddd-0000-4000-8000-000000000001', 'saveToDb'),
  'created',
  'the join is still waiting after one branch'
);
select is(
  (select remaining_deps::int from pgflow.step_states
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'saveToDb'),
  1,
  'one dep left'
);
select is(pgflow_tests.claimed_steps('diamond'), '{}'::text[], 'nothing new is claimable');

select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000001', 'summary', '"short"');
select is(pgflow_tests.claimed_steps('diamond'), array['saveToDb'], 'the join is claimable after the last branch');

select * from finish();
rollback;
