begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{}', 'cb000000-0000-4000-8000-000000000003');
select pgflow.start_flow('diamond', '{}', 'cb000000-0000-4000-8000-000000000004');
select pgflow_tests.complete_step('cb000000-0000-4000-8000-000000000003', 'website', '1');
select pgflow_tests.claim('diamond');

select is(
  pgflow.complete_tasks(
    array['cb000000-0000-4000-8000-000000000003', 'cb000000-0000-4000-8000-000000000003',
          'cb000000-0000-4000-8000-000000000004']::uuid[],
    array['sentiment', 'summary', 'website'],
    array['"s"', '"m"', '"w"']::jsonb[],
    array[0, 0, 0],
    array[1, 1, 1]
  ),
  3,
  'three tasks of two runs completed in one call'
);
select is(
  pgflow_tests.step_status('cb000000-0000-4000-8000-000000000003', 'saveToDb'), 'started',
  'the join of the first run started after both branches'
);
select is(
  pgflow_tests.step_status('cb000000-0000-4000-8000-000000000004', 'sentiment'), 'started',
  'the second run moved on too'
);

select * from finish();
rollback;
