begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow_tests.create_diamond_flow('diamond');
select pgflow.start_flow('diamond', '{"url": "https://example.com"}', 'dddddddd-0000-4000-8000-000000000001');
select pgflow_tests.claim('diamond');
select pgflow.complete_task('dddddddd-0000-4000-8000-000000000001', 'website', '{"content": "hello"}');

select results_eq(
  $$ select step_slug, status::text from pgflow.step_states
     where run_id = 'dddddddd-0000-4000-8000-000000000001' order by step_slug collate "C" $$,
  $$ values ('saveToDb', 'created'), ('sentiment', 'started'), ('summary', 'started'), ('website', 'completed') $$,
  'both dependents of the root start in the same transaction'
);
select is(
  pgflow_tests.claimed_steps('diamond'),
  array['sentiment', 'summary'],
  'both branches are claimable together'
);
select is(
  (select status::text from pgflow.step_tasks
   where run_id = 'dddddddd-0000-4000-8000-000000000001' and step_slug = 'sentiment'),
  'started',
  'the claimed branch task is started'
);
select is(
  pgflow_tests.claimed_steps('diamond'),
  '{}'::text[],
  'the join is not claimable yet'
);

select * from finish();
rollback;
