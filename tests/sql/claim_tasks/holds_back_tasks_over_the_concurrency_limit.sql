begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('capped');
select pgflow.add_step('capped', 'each', step_type => 'map', concurrency => 2);
select pgflow.start_flow('capped', '[1, 2, 3, 4, 5]');

select is((select count(*)::int from pgflow_tests.claim('capped', 10)), 2, 'a claim takes only up to the limit');
select is((select count(*)::int from pgflow_tests.claim('capped', 10)), 0, 'the next claim finds the step full');
select is(
  (select count(*)::int from pgflow.step_tasks where flow_slug = 'capped' and status = 'queued'),
  3, 'the tasks held back stay queued'
);
select pgflow.complete_task(t.run_id, t.step_slug, '"done"', t.task_index, t.attempts_count)
from pgflow.step_tasks as t
where t.flow_slug = 'capped' and t.status = 'started' and t.task_index = (
  select min(t2.task_index) from pgflow.step_tasks as t2 where t2.flow_slug = 'capped' and t2.status = 'started'
);
select is((select count(*)::int from pgflow_tests.claim('capped', 10)), 1, 'a completion frees one slot');

select * from finish();
rollback;
