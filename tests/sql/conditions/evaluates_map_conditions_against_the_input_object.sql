begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('map_cond');
select pgflow.add_step('map_cond', 'each', step_type => 'map', run_if => '{"run": [2]}');
select pgflow.start_flow('map_cond', '[1, 2, 3]', 'c1000000-0000-4000-8000-00000000000f');
select pgflow.start_flow('map_cond', '[1, 3]', 'c1000000-0000-4000-8000-000000000010');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000f', 'each'), 'started', '{"run": [1, 2, 3]} contains {"run": [2]}');
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-000000000010', 'each'), 'skipped', '{"run": [1, 3]} does not');

select * from finish();
rollback;
