begin;
select plan(2);

select pgflow.create_flow('fail_reveal');
select pgflow.add_step('fail_reveal', 'only');
select pgflow.start_flow('fail_reveal', '{"secret": 1}', 'f0000000-0000-4000-8000-000000000008');
select pgflow_tests.claim('fail_reveal');
select pgflow.complete_task('f0000000-0000-4000-8000-000000000008', 'only', '"the output"', 0, 1);

select is(
  (select row(t.status, t.output, t.input, t.error_message, t.attempts_count, t.visible_at)::text
   from pgflow.fail_task('f0000000-0000-4000-8000-000000000008', 'only', 'late', 0, 1) as t),
  row('completed', null::jsonb, null::jsonb, null::text, null::int, null::timestamptz)::text,
  'a failure of a finished task returns its status and nothing else'
);
select is(
  (select output from pgflow.step_tasks where run_id = 'f0000000-0000-4000-8000-000000000008'),
  '"the output"'::jsonb, 'and changes nothing'
);

select * from finish();
rollback;
