begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('idem_flow');
select pgflow.add_step('idem_flow', 'only');
select pgflow.start_flow('idem_flow', '{"n": 1}', 'aaaaaaaa-0000-4000-8000-000000000002');
select pgflow_tests.advance('1 hour');

select is(
  (select r.input from pgflow.start_flow('idem_flow', '{"n": 2}', 'aaaaaaaa-0000-4000-8000-000000000002') as r),
  '{"n": 1}'::jsonb, 'the existing run is returned unchanged (first input wins)'
);
select is(
  (select started_at from pgflow.runs where run_id = 'aaaaaaaa-0000-4000-8000-000000000002'),
  '2030-01-01 00:00:00+00'::timestamptz, 'started_at is untouched'
);
select is(
  (select count(*)::int from pgflow.runs where flow_slug = 'idem_flow'), 1, 'no second run'
);
select is(
  (select count(*)::int from pgflow.step_tasks where run_id = 'aaaaaaaa-0000-4000-8000-000000000002'),
  1, 'no duplicate tasks'
);

-- a finished run is returned as it is, not restarted.
select pgflow_tests.complete_step('aaaaaaaa-0000-4000-8000-000000000002', 'only', '"done"');
select is(
  (select r.status from pgflow.start_flow('idem_flow', '{"n": 1}', 'aaaaaaaa-0000-4000-8000-000000000002') as r),
  'completed', 'a completed run stays completed'
);

select * from finish();
rollback;
