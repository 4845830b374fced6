begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('follow_up');
select pgflow.add_step('follow_up', 'initial_welcome');
select pgflow.add_step('follow_up', 'follow_up_email', deps => array['initial_welcome'], delay_seconds => 604800);
select pgflow.start_flow('follow_up', '{}', 'de000000-0000-4000-8000-000000000002');
select pgflow_tests.set_now('2030-01-01 00:01:40+00');
select pgflow_tests.complete_step('de000000-0000-4000-8000-000000000002', 'initial_welcome', '"sent"');

select is(
  (select visible_at from pgflow.step_tasks
   where run_id = 'de000000-0000-4000-8000-000000000002' and step_slug = 'follow_up_email'),
  '2030-01-08 00:01:40+00'::timestamptz, 'seven days after the dependency completed'
);
select pgflow_tests.set_now('2030-01-08 00:01:39+00');
select is((select count(*)::int from pgflow_tests.claim('follow_up')), 0, 'still waiting a second before');
select pgflow_tests.set_now('2030-01-08 00:01:40+00');
select is(pgflow_tests.claimed_steps('follow_up'), array['follow_up_email'], 'claimable after a week');

select * from finish();
rollback;
