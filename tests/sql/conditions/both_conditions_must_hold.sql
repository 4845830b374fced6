begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('both_cond');
select pgflow.add_step('both_cond', 'gated', run_if => '{"run": {"go": true}}', run_unless => '{"run": {"paused": true}}');
select pgflow.start_flow('both_cond', '{"go": true}', 'c1000000-0000-4000-8000-000000000008');
select pgflow.start_flow('both_cond', '{"go": true, "paused": true}', 'c1000000-0000-4000-8000-000000000009');
select pgflow.start_flow('both_cond', '{"paused": false}', 'c1000000-0000-4000-8000-00000000000a');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000008', 'gated'), 'started', 'run_if met and run_unless unmet: runs');
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000009', 'gated'), 'skipped', 'run_unless met: skipped');
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000a', 'gated'), 'skipped', 'run_if unmet: skipped (a root step too)');

select * from finish();
rollback;
