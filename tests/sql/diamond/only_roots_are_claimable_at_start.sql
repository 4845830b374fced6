begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{"url": "https://example.com"}', 'dddddddd-0000-4000-8000-000000000001');

select is(
  pgflow_tests.claimed_steps('diamond'),
  array['website'],
  'only the root step is claimable at start'
);
select is(
  pgflow_tests.claimed_steps('diamond'),
  '{}'::text[],
  'nothing else is claimable while the root is running'
);
select is(
  (select count(*)::int from pgflow.step_tasks where run_id = 'dddddddd-0000-4000-8000-000000000001'),
  1,
  'dependents have no tasks yet'
);

select * from finish();
rollback;
