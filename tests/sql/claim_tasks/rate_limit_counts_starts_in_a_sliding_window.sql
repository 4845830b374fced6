begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('rated');
select pgflow.add_step('rated', 'each', step_type => 'map', rate_limit => 3, rate_period => 10);
select pgflow.start_flow('rated', (select jsonb_agg(i) from generate_series(1, 10) as i));

select is((select count(*)::int from pgflow_tests.claim('rated', 2)), 2, 'two starts at 0 s');
select pgflow_tests.set_now('2030-01-01 00:00:05+00');
select is((select count(*)::int from pgflow_tests.claim('rated', 10)), 1, 'one more at 5 s: three in the window');
select pgflow_tests.set_now('2030-01-01 00:00:09.999+00');
select is((select count(*)::int from pgflow_tests.claim('rated', 10)), 0, 'none at 9.999 s');
select pgflow_tests.set_now('2030-01-01 00:00:10+00');
select is((select count(*)::int from pgflow_tests.claim('rated', 10)), 2, 'at 10 s the two starts of 0 s left the window');
select pgflow_tests.set_now('2030-01-01 00:00:15+00');
select is((select count(*)::int from pgflow_tests.claim('rated', 10)), 1, 'at 15 s the start of 5 s left it');

select * from finish();
rollback;
