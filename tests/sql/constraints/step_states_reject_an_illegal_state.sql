begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('checked_steps');
select pgflow.add_step('checked_steps', 'first');
select pgflow.add_step('checked_steps', 'second', deps => array['first']);
select pgflow.start_flow('checked_steps', '{}', 'c0c00000-0000-4000-8000-000000000002');

select pgflow_tests.throws_naming(
  $$ update pgflow.step_states set status = 'done' where run_id = 'c0c00000-0000-4000-8000-000000000002' and step_slug = 'first' $$,
  '23514', array['status_is_valid'], 'an unknown step status is rejected'
);
select throws_ok(
  $$ update pgflow.step_states set status = 'skipped', skipped_at = now()
     where run_id = 'c0c00000-0000-4000-8000-000000000002' and step_slug = 'second' $$,
  '23514', null, 'a skipped step without skip_reason is rejected'
);
select throws_ok(
  $$ update pgflow.step_states set status = 'skipped', skipped_at = now(), skip_reason = 'felt like it'
     where run_id = 'c0c00000-0000-4000-8000-000000000002' and step_slug = 'second' $$,
  '23514', null, 'an unknown skip_reason is rejected'
);
select throws_ok(
  $$ update pgflow.step_states set remaining_tasks = -1
     where run_id = 'c0c00000-0000-4000-8000-000000000002' and step_slug = 'first' $$,
  '23514', null, 'a negative remaining_tasks is rejected'
);
select throws_ok(
  $$ update pgflow.step_states set remaining_deps = -1
     where run_id = 'c0c00000-0000-4000-8000-000000000002' and step_slug = 'second' $$,
  '23514', null, 'a negative remaining_deps is rejected'
);

select * from finish();
rollback;
