begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('dep_cond');
select pgflow.add_step('dep_cond', 'check');
select pgflow.add_step('dep_cond', 'on_ok', deps => array['check'], run_if => '{"check": {"ok": true}}');
select pgflow.start_flow('dep_cond', '{}', 'c1000000-0000-4000-8000-000000000006');
select pgflow.start_flow('dep_cond', '{}', 'c1000000-0000-4000-8000-000000000007');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000006', 'check', '{"ok": true, "extra": 1}');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-000000000007', 'check', '{"ok": false}');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000006', 'on_ok'), 'started', 'a condition on a dep output that holds');
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000007', 'on_ok'), 'skipped', 'a condition on a dep output that does not');

select * from finish();
rollback;
