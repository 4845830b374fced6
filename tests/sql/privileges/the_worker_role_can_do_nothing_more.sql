begin;
select plan(10);

select pgflow.create_flow('worker_limits');
select pgflow.add_step('worker_limits', 'only');
select pgflow.start_flow('worker_limits', '{}', 'b0b00000-0000-4000-8000-000000000003');
create role pgflow_tests_worker nologin in role pgflow_worker;
set local role pgflow_tests_worker;

select throws_ok($$ select pgflow.start_flow('worker_limits', '{}') $$, '42501', null, 'no start_flow');
select throws_ok($$ select pgflow.cancel_run('b0b00000-0000-4000-8000-000000000003') $$, '42501', null, 'no cancel_run');
select throws_ok($$ select pgflow.create_flow('worker_made') $$, '42501', null, 'no create_flow');
select throws_ok($$ select pgflow.add_step('worker_limits', 'extra') $$, '42501', null, 'no add_step');
select throws_ok($$ select pgflow.drop_flow('worker_limits') $$, '42501', null, 'no drop_flow');
select throws_ok($$ select pgflow.prune_runs('0 seconds') $$, '42501', null, 'no prune_runs');
select throws_ok(
  $$ update pgflow.step_tasks set status = 'completed', completed_at = now(), attempts_count = 1, started_at = now() $$,
  '42501', null, 'no direct update of tasks'
);
select throws_ok(
  $$ insert into pgflow.runs (flow_slug, input, remaining_steps, started_at) values ('worker_limits', '{}', 1, now()) $$,
  '42501', null, 'no direct insert of runs'
);
select throws_ok($$ select * from pgflow.runs $$, '42501', null, 'no direct reads of runs');
select throws_ok($$ select * from pgflow.step_tasks $$, '42501', null, 'no direct reads of tasks');

select * from finish();
rollback;
