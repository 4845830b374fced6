begin;
select plan(6);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('prune_flow', max_attempts => 1);
select pgflow.add_step('prune_flow', 'only');
select pgflow.start_flow('prune_flow', '{}', '9e000000-0000-4000-8000-000000000001');  -- completed, old
select pgflow.start_flow('prune_flow', '{}', '9e000000-0000-4000-8000-000000000002');  -- failed, old
select pgflow.start_flow('prune_flow', '{}', '9e000000-0000-4000-8000-000000000003');  -- cancelled, old
select pgflow.start_flow('prune_flow', '{}', '9e000000-0000-4000-8000-000000000004');  -- still started
select pgflow.start_flow('prune_flow', '{}', '9e000000-0000-4000-8000-000000000005');  -- completed, recent
select pgflow_tests.claim('prune_flow');
select pgflow.complete_task('9e000000-0000-4000-8000-000000000001', 'only', '1');
select pgflow.fail_task('9e000000-0000-4000-8000-000000000002', 'only', 'x');
select pgflow.cancel_run('9e000000-0000-4000-8000-000000000003');
select pgflow_tests.set_now('2030-01-03 00:00:00+00');
select pgflow.complete_task('9e000000-0000-4000-8000-000000000005', 'only', '1');
select pgflow_tests.set_now('2030-01-04 00:00:00+00');

select is(pgflow.prune_runs('2 days'), 3::bigint, 'three runs finished more than two days ago');
select results_eq(
  $$ select run_id::text from pgflow.runs where flow_slug = 'prune_flow' order by run_id $$,
  array['9e000000-0000-4000-8000-000000000004', '9e000000-0000-4000-8000-000000000005'],
  'the unfinished run and the recent run are kept'
);
select is(
  (select count(*)::int from pgflow.step_states where run_id in
     ('9e000000-0000-4000-8000-000000000001', '9e000000-0000-4000-8000-000000000002', '9e000000-0000-4000-8000-000000000003')),
  0, 'their step states are gone'
);
select is(
  (select count(*)::int from pgflow.step_tasks where run_id in
     ('9e000000-0000-4000-8000-000000000001', '9e000000-0000-4000-8000-000000000002', '9e000000-0000-4000-8000-000000000003')),
  0, 'their tasks are gone'
);
select is(pgflow.prune_runs('2 days'), 0::bigint, 'pruning again finds nothing');
select is((select count(*)::int from pgflow.flows where flow_slug = 'prune_flow'), 1, 'the flow definition stays');

select * from finish();
rollback;
