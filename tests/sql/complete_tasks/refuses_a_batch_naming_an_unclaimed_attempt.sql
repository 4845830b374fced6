begin;
select plan(3);

select pgflow.create_flow('batch_fence');
select pgflow.add_step('batch_fence', 'only');
select pgflow.start_flow('batch_fence', '{}', 'f0000000-0000-4000-8000-000000000004');
select pgflow.start_flow('batch_fence', '{}', 'f0000000-0000-4000-8000-000000000005');
select pgflow_tests.claim('batch_fence');

select throws_ok(
  $$ select pgflow.complete_tasks(
       array['f0000000-0000-4000-8000-000000000004'::uuid, 'f0000000-0000-4000-8000-000000000005'],
       array['only', 'only'], array['"good"'::jsonb, '"forged"'], array[0, 0], array[1, 2]) $$,
  'PF017', null, 'a batch with one attempt that was never claimed is refused'
);
select is(
  (select count(*)::int from pgflow.step_tasks where flow_slug = 'batch_fence' and status = 'started'),
  2, 'and none of its tasks changed'
);
select is(
  pgflow.complete_tasks(
    array['f0000000-0000-4000-8000-000000000004'::uuid, 'f0000000-0000-4000-8000-000000000005'],
    array['only', 'only'], array['"good"'::jsonb, '"good"'], array[0, 0], array[1, 1]),
  2, 'the claimed attempts complete both'
);

select * from finish();
rollback;
