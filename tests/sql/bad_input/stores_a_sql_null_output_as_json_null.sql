begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('null_out');
select pgflow.add_step('null_out', 'nothing');
select pgflow.add_step('null_out', 'after', deps => array['nothing']);
select pgflow.start_flow('null_out', '{}', 'ba000000-0000-4000-8000-000000000004');
select pgflow_tests.claim('null_out');
select pgflow.complete_task('ba000000-0000-4000-8000-000000000004', 'nothing', null, 0, 1);

select is(pgflow_tests.step_status('ba000000-0000-4000-8000-000000000004', 'nothing'), 'completed', 'a null result completes the step');
select is(
  (select output from pgflow.step_states
   where run_id = 'ba000000-0000-4000-8000-000000000004' and step_slug = 'nothing'),
  'null'::jsonb, 'as a json null'
);
select is(
  (select input from pgflow_tests.claim('null_out')),
  '{"run": {}, "nothing": null}'::jsonb, 'the dependent sees the key with null (completed, not skipped)'
);

select * from finish();
rollback;
