begin;
select plan(3);

select pgflow.create_flow('skip_join', max_attempts => 1);
select pgflow.add_step('skip_join', 'root');
select pgflow.add_step('skip_join', 'optional', deps => array['root'], run_if => '{"run": {"go": true}}');
select pgflow.add_step('skip_join', 'join', deps => array['root', 'optional']);
select pgflow.start_flow('skip_join', '{"go": false}', 'f1000000-0000-4000-8000-000000000004');
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000004', 'root', '1');
select pgflow_tests.fail_step('f1000000-0000-4000-8000-000000000004', 'join', 'boom');

select pgflow.retry_run('f1000000-0000-4000-8000-000000000004');
select is(
  (select array_agg(step_slug || ' ' || status order by step_slug) from pgflow.step_states
   where run_id = 'f1000000-0000-4000-8000-000000000004'),
  array['join started', 'optional skipped', 'root completed'],
  'the condition is evaluated again (still unmet: skipped) and the join runs again'
);
select pgflow_tests.complete_step('f1000000-0000-4000-8000-000000000004', 'join', '2');
select is(
  pgflow_tests.run_status('f1000000-0000-4000-8000-000000000004'), 'completed', 'the run completes'
);
select is(
  pgflow_tests.run_inconsistency('f1000000-0000-4000-8000-000000000004'), null, 'consistently'
);

select * from finish();
rollback;
