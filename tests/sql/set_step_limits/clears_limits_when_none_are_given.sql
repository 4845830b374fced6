begin;
select plan(3);

select pgflow.create_flow('clear');
select pgflow.add_step('clear', 'a', concurrency => 1);
select pgflow.start_flow('clear', '{}');

select results_eq(
  $$ select concurrency, rate_limit from pgflow.set_step_limits('clear', 'a') $$,
  $$ values (null::int, null::int) $$,
  'a call without limits returns no limits'
);
select is_empty($$ select 1 from pgflow.step_limits where flow_slug = 'clear' $$, 'and removes the row');
select is(
  (select limit_bucket from pgflow.step_tasks where flow_slug = 'clear'), null,
  'the queued task loses its bucket'
);

select * from finish();
rollback;
