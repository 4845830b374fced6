begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('delayed_root');
select pgflow.add_step('delayed_root', 'later', delay_seconds => 30);
select pgflow.start_flow('delayed_root', '{}', 'de000000-0000-4000-8000-000000000001');

select is(
  (select visible_at from pgflow.step_tasks where run_id = 'de000000-0000-4000-8000-000000000001'),
  '2030-01-01 00:00:30+00'::timestamptz, 'the task becomes visible delay_seconds after start'
);
select is((select count(*)::int from pgflow_tests.claim('delayed_root')), 0, 'not claimable at once');
select pgflow_tests.set_now('2030-01-01 00:00:29+00');
select is((select count(*)::int from pgflow_tests.claim('delayed_root')), 0, 'not claimable a second early');
select pgflow_tests.set_now('2030-01-01 00:00:30+00');
select is((select attempt from pgflow_tests.claim('delayed_root')), 1, 'claimable on time, as a first attempt');

select * from finish();
rollback;
