begin;
select plan(7);

-- root -> gate (skip-cascade) -> mid -> leaf ; root -> side
select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cascade_flow');
select pgflow.add_step('cascade_flow', 'root');
select pgflow.add_step('cascade_flow', 'gate', deps => array['root'], run_if => '{"run": {"on": true}}', when_unmet => 'skip-cascade');
select pgflow.add_step('cascade_flow', 'mid', deps => array['gate']);
select pgflow.add_step('cascade_flow', 'leaf', deps => array['mid', 'root']);
select pgflow.add_step('cascade_flow', 'side', deps => array['root']);
select pgflow.start_flow('cascade_flow', '{"on": false}', 'c1000000-0000-4000-8000-00000000000c');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-00000000000c', 'root', '1');

select results_eq(
  $$ select step_slug, status::text, skip_reason from pgflow.step_states
     where run_id = 'c1000000-0000-4000-8000-00000000000c' and step_slug in ('gate', 'mid', 'leaf')
     order by step_slug $$,
  $$ values ('gate', 'skipped', 'condition_unmet'), ('leaf', 'skipped', 'dependency_skipped'),
            ('mid', 'skipped', 'dependency_skipped') $$,
  'the step and everything downstream of it are skipped'
);
select is(
  (select count(*)::int from pgflow.step_tasks
   where run_id = 'c1000000-0000-4000-8000-00000000000c' and step_slug in ('gate', 'mid', 'leaf')),
  0, 'no task for any skipped step'
);
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000c', 'side'), 'started', 'a branch that does not depend on it runs');
select is(pgflow_tests.run_status('c1000000-0000-4000-8000-00000000000c'), 'started', 'the run waits for the side branch');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-00000000000c', 'side', '"s"');
select is(pgflow_tests.run_status('c1000000-0000-4000-8000-00000000000c'), 'completed', 'then completes');
select is(
  (select output from pgflow.runs where run_id = 'c1000000-0000-4000-8000-00000000000c'),
  '{"side": "s"}'::jsonb, 'only completed leaves are in the output'
);
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'c1000000-0000-4000-8000-00000000000c'),
  0, 'every step is accounted for'
);

select * from finish();
rollback;
