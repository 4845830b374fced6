begin;
select plan(2);

select pgflow.create_flow('owner_flow');
select pgflow.add_step('owner_flow', 'only');
select pgflow.create_flow('thief_flow');
select pgflow.add_step('thief_flow', 'only');
select pgflow.start_flow('owner_flow', '{}', 'aaaaaaaa-0000-4000-8000-000000000003');

select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('thief_flow', '{}', 'aaaaaaaa-0000-4000-8000-000000000003') $$,
  'PF014', array['aaaaaaaa-0000-4000-8000-000000000003', 'owner_flow'],
  'reusing a run id of another flow raises PF014 naming the run and its flow'
);
select is(
  (select flow_slug from pgflow.runs where run_id = 'aaaaaaaa-0000-4000-8000-000000000003'),
  'owner_flow', 'the run still belongs to its flow'
);

select * from finish();
rollback;
