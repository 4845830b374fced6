begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('prune_batch');
select pgflow.add_step('prune_batch', 'only');
select pgflow.start_flow('prune_batch', '{}', '9e000000-0000-4000-8000-000000000011');
select pgflow.start_flow('prune_batch', '{}', '9e000000-0000-4000-8000-000000000012');
select pgflow.start_flow('prune_batch', '{}', '9e000000-0000-4000-8000-000000000013');
select pgflow_tests.claim('prune_batch');
select pgflow_tests.set_now('2030-01-01 03:00:00+00');
select pgflow.complete_task('9e000000-0000-4000-8000-000000000012', 'only', '1');
select pgflow_tests.set_now('2030-01-01 01:00:00+00');
select pgflow.complete_task('9e000000-0000-4000-8000-000000000013', 'only', '1');
select pgflow_tests.set_now('2030-01-01 02:00:00+00');
select pgflow.complete_task('9e000000-0000-4000-8000-000000000011', 'only', '1');
select pgflow_tests.set_now('2030-02-01 00:00:00+00');

select is(pgflow.prune_runs('1 day', max_runs => 2), 2::bigint, 'at most max_runs are pruned');
select results_eq(
  $$ select run_id::text from pgflow.runs where flow_slug = 'prune_batch' $$,
  array['9e000000-0000-4000-8000-000000000012'],
  'the oldest finished runs went first'
);
select is(pgflow.prune_runs('1 day', max_runs => 2), 1::bigint, 'the next call takes the rest');

select * from finish();
rollback;
