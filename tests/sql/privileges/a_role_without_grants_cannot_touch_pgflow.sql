begin;
select plan(9);

select pgflow.create_flow('guarded');
select pgflow.add_step('guarded', 'only');
select pgflow.start_flow('guarded', '{}', 'b0b00000-0000-4000-8000-000000000001');
create role pgflow_tests_nobody nologin;
set local role pgflow_tests_nobody;

select throws_ok(
  $$ insert into pgflow.flows (flow_slug, max_attempts, base_delay, timeout, options) values ('x', 1, 1, 1, '{}') $$,
  '42501', null, 'cannot insert flows'
);
select throws_ok(
  $$ update pgflow.runs set status = 'cancelled' $$,
  '42501', null, 'cannot update runs'
);
select throws_ok(
  $$ delete from pgflow.step_tasks $$,
  '42501', null, 'cannot delete tasks'
);
select throws_ok(
  $$ select count(*) from pgflow.runs $$,
  '42501', null, 'cannot read runs'
);
select throws_ok(
  $$ select pgflow.create_flow('sneaky') $$,
  '42501', null, 'cannot call create_flow'
);
select throws_ok(
  $$ select pgflow.start_flow('guarded', '{}') $$,
  '42501', null, 'cannot call start_flow'
);
select throws_ok(
  $$ select * from pgflow.claim_tasks('b0b00000-0000-4000-8000-0000000000aa') $$,
  '42501', null, 'cannot call claim_tasks'
);
select throws_ok(
  $$ select pgflow.complete_task('b0b00000-0000-4000-8000-000000000001', 'only', '1') $$,
  '42501', null, 'cannot call complete_task'
);

reset role;
select is(pgflow_tests.task_status('b0b00000-0000-4000-8000-000000000001', 'only'), 'queued', 'nothing changed');

select * from finish();
rollback;
