begin;
select plan(5);

select pgflow.create_flow('bounded', max_output_bytes => 1000);
select pgflow.add_step('bounded', 'flow_limit');
select pgflow.add_step('bounded', 'step_limit', max_output_bytes => 100);
select pgflow.start_flow('bounded', '{}', 'c0000000-0000-4000-8000-000000000032');
select pgflow_tests.claim('bounded');

select pgflow_tests.throws_naming(
  format($$select pgflow.complete_task('c0000000-0000-4000-8000-000000000032', 'step_limit', %L)$$,
    to_jsonb(repeat('x', 200))),
  'PF032', array['bounded', '''step_limit''', 'over the limit of 100'],
  'the step''s limit applies, and the error names flow, step, size and limit'
);
select lives_ok(
  format($$select pgflow.complete_task('c0000000-0000-4000-8000-000000000032', 'flow_limit', %L)$$,
    to_jsonb(repeat('x', 200))),
  'a step without its own limit takes the flow''s'
);
select pgflow.add_step('bounded', 'step_limit', max_output_bytes => 1000);
select is(
  (select max_output_bytes from pgflow.steps where flow_slug = 'bounded' and step_slug = 'step_limit'),
  1000, 'the limit is operational: registering the step again changes it'
);
select lives_ok(
  format($$select pgflow.complete_task('c0000000-0000-4000-8000-000000000032', 'step_limit', %L)$$,
    to_jsonb(repeat('x', 200))),
  'the new limit applies at once'
);
select is(
  (pgflow.vocabulary() ->> 'max_output_bytes')::integer, 16777216,
  'the default limit is 16 MiB'
);

select * from finish();
rollback;
