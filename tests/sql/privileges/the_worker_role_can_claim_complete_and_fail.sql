begin;
select plan(8);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('worked', max_attempts => 2, base_delay => 0);
select pgflow.add_step('worked', 'good');
select pgflow.add_step('worked', 'bad');
select pgflow.start_flow('worked', '{}', 'b0b00000-0000-4000-8000-000000000002');
create role pgflow_tests_worker nologin in role pgflow_worker;
set local role pgflow_tests_worker;

select lives_ok(
  $$ select pgflow.register_worker('b0b00000-0000-4000-8000-0000000000bb', array['worked'], 'host', 1) $$,
  'register_worker'
);
select is(
  (select count(*)::int from pgflow.claim_tasks('b0b00000-0000-4000-8000-0000000000bb', 10, array['worked'])),
  2, 'claim_tasks'
);
select lives_ok(
  $$ select pgflow.complete_task('b0b00000-0000-4000-8000-000000000002', 'good', '"ok"', 0, 1) $$,
  'complete_task'
);
select lives_ok(
  $$ select pgflow.fail_task('b0b00000-0000-4000-8000-000000000002', 'bad', 'nope', 0, 1) $$,
  'fail_task'
);
select lives_ok(
  $$ select pgflow.complete_tasks(array['b0b00000-0000-4000-8000-000000000002']::uuid[], array['bad'],
                                  array['"ok"']::jsonb[], array[0], array[null]::int[]) $$,
  'complete_tasks'
);
select lives_ok($$ select pgflow.next_task_visible_at(array['worked']) $$, 'next_task_visible_at');
select lives_ok($$ select pgflow.heartbeat_worker('b0b00000-0000-4000-8000-0000000000bb') $$, 'heartbeat_worker');
select lives_ok($$ select pgflow.stop_worker('b0b00000-0000-4000-8000-0000000000bb') $$, 'stop_worker');

select * from finish();
rollback;
