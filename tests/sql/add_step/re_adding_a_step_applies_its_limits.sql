begin;
select plan(4);

select pgflow.create_flow('readd');
select pgflow.add_step('readd', 'a', concurrency => 2);
select pgflow.start_flow('readd', '{}');

select lives_ok(
  $$ select pgflow.add_step('readd', 'a', concurrency => 5, rate_limit => 10, rate_period => 60) $$,
  'a re-add with other limits is not a shape mismatch, even on a flow with runs'
);
select results_eq(
  $$ select concurrency, rate_limit, rate_period from pgflow.step_limits where flow_slug = 'readd' $$,
  $$ values (5, 10, 60) $$,
  'the re-add applied its limits'
);
select pgflow.add_step('readd', 'a');
select is_empty(
  $$ select 1 from pgflow.step_limits where flow_slug = 'readd' $$,
  'a re-add without limits clears them: the migration states the whole flow control'
);
select is(
  (select limit_bucket from pgflow.step_tasks where flow_slug = 'readd'), null,
  'and the queued task is back on the fast path (no bucket)'
);

select * from finish();
rollback;
