begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('flow_one');
select pgflow.add_step('flow_one', 's');
select pgflow.create_flow('flow_two');
select pgflow.add_step('flow_two', 's');
select pgflow.create_flow('flow_three');
select pgflow.add_step('flow_three', 's');
select pgflow.start_flow('flow_one', '{}');
select pgflow.start_flow('flow_two', '{}');
select pgflow.start_flow('flow_three', '{}');

select results_eq(
  $$ select flow_slug from pgflow.claim_tasks(pgflow_tests.worker_id(), 10, array['flow_two']) $$,
  array['flow_two'],
  'only tasks of the named flows are claimed'
);
select results_eq(
  $$ select flow_slug from pgflow.claim_tasks(pgflow_tests.worker_id(), 10, array['flow_one', 'no_such_flow']) $$,
  array['flow_one'],
  'several flows may be named, unknown ones match nothing'
);
select is(
  (select count(*)::int from pgflow.claim_tasks(pgflow_tests.worker_id(), 10, '{}'::text[])),
  0, 'an empty list matches no flow'
);
select ok(
  'flow_three' in (select flow_slug from pgflow.claim_tasks(pgflow_tests.worker_id(), 1000)),
  'a null list means every flow'
);

select * from finish();
rollback;
