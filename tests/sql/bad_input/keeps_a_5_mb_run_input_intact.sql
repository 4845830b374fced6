begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('big_input');
select pgflow.add_step('big_input', 'only');

select lives_ok(
  $$ select pgflow.start_flow('big_input', jsonb_build_object('blob', repeat('y', 5 * 1024 * 1024)),
                              'ba000000-0000-4000-8000-000000000002') $$,
  'a 5 MB run input is accepted'
);
select is(
  (select length(input -> 'run' ->> 'blob') from pgflow_tests.claim('big_input')),
  5 * 1024 * 1024, 'the task receives it whole'
);

select * from finish();
rollback;
