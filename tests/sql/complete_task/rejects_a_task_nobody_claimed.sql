begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('unclaimed');
select pgflow.add_step('unclaimed', 'now');
select pgflow.add_step('unclaimed', 'later', delay_seconds => 60);
select pgflow.start_flow('unclaimed', '{}', 'f0000000-0000-4000-8000-000000000002');

select throws_ok(
  $$ select pgflow.complete_task('f0000000-0000-4000-8000-000000000002', 'now', '"forged"') $$,
  'PF017', 'task 0 of step ''now'' in run f0000000-0000-4000-8000-000000000002 was never claimed',
  'a queued task nobody claimed cannot be completed without an attempt'
);
select throws_ok(
  $$ select pgflow.complete_task('f0000000-0000-4000-8000-000000000002', 'now', '"forged"', 0, 1) $$,
  'PF017', null, 'nor with attempt 1'
);
select throws_ok(
  $$ select pgflow.complete_task('f0000000-0000-4000-8000-000000000002', 'later', '"forged"', 0, 1) $$,
  'PF017', null, 'nor can a task still waiting for its delay'
);
select throws_ok(
  $$ select pgflow.fail_task('f0000000-0000-4000-8000-000000000002', 'now', 'forged') $$,
  'PF017', null, 'nor be failed'
);
select is(
  (select array_agg(status || ' ' || attempts_count order by step_slug) from pgflow.step_tasks
   where run_id = 'f0000000-0000-4000-8000-000000000002'),
  array['queued 0', 'queued 0'], 'nothing changed'
);

select * from finish();
rollback;
