begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('all_skipped');
select pgflow.add_step('all_skipped', 'only', run_if => '{"run": {"go": true}}');

select is(
  (select r.status::text from pgflow.start_flow('all_skipped', '{}', 'c1000000-0000-4000-8000-000000000011') as r),
  'completed', 'a run whose only step is skipped completes in start_flow'
);
select is(
  (select output from pgflow.runs where run_id = 'c1000000-0000-4000-8000-000000000011'),
  '{}'::jsonb, 'with an empty output'
);
select is(
  (select completed_at from pgflow.runs where run_id = 'c1000000-0000-4000-8000-000000000011'),
  '2030-01-01 00:00:00+00'::timestamptz, 'and a completed_at'
);

select * from finish();
rollback;
