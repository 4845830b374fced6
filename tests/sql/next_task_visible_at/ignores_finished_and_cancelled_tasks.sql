begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('nv_done');
select pgflow.add_step('nv_done', 'only');
select pgflow.start_flow('nv_done', '{}', '0e000000-0000-4000-8000-000000000001');
select is(
  pgflow.next_task_visible_at(array['nv_done']),
  '2030-01-01 00:00:00+00'::timestamptz, 'a visible queued task counts'
);
select pgflow_tests.complete_step('0e000000-0000-4000-8000-000000000001', 'only', '1');
select is(pgflow.next_task_visible_at(array['nv_done']), null, 'a completed task does not');

select pgflow.create_flow('nv_cancel');
select pgflow.add_step('nv_cancel', 'only', delay_seconds => 10);
select pgflow.start_flow('nv_cancel', '{}', '0e000000-0000-4000-8000-000000000002');
select pgflow.cancel_run('0e000000-0000-4000-8000-000000000002');
select is(pgflow.next_task_visible_at(array['nv_cancel']), null, 'a cancelled task does not');

select * from finish();
rollback;
