begin;
select plan(7);

select pgflow.create_flow('client_flow');
select pgflow.add_step('client_flow', 'only');
create role pgflow_tests_client nologin in role pgflow_client;
set local role pgflow_tests_client;

select lives_ok(
  $$ select pgflow.start_flow('client_flow', '{"by": "client"}', 'b0b00000-0000-4000-8000-000000000004') $$,
  'start_flow'
);
select is(
  (select status::text from pgflow.runs where run_id = 'b0b00000-0000-4000-8000-000000000004'),
  'started', 'reads runs'
);
select is(
  (select count(*)::int from pgflow.step_tasks where run_id = 'b0b00000-0000-4000-8000-000000000004'),
  1, 'reads tasks'
);
select is((select count(*)::int from pgflow.steps where flow_slug = 'client_flow'), 1, 'reads definitions');
select lives_ok($$ select pgflow.cancel_run('b0b00000-0000-4000-8000-000000000004') $$, 'cancel_run');
select throws_ok(
  $$ update pgflow.runs set status = 'started', cancelled_at = null $$,
  '42501', null, 'no direct writes'
);
select throws_ok(
  $$ delete from pgflow.runs $$,
  '42501', null, 'no direct deletes'
);

select * from finish();
rollback;
