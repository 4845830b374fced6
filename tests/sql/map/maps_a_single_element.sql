begin;
select plan(2);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('one_elem');
select pgflow.add_step('one_elem', 'each', step_type => 'map');
select pgflow.start_flow('one_elem', '[{"id": 7}]', '3a000000-0000-4000-8000-000000000004');

select is((select input from pgflow_tests.claim('one_elem')), '{"id": 7}'::jsonb, 'the single task gets the element');
select pgflow.complete_task('3a000000-0000-4000-8000-000000000004', 'each', '{"done": 7}', 0);
select is(
  (select output from pgflow.runs where run_id = '3a000000-0000-4000-8000-000000000004'),
  '{"each": [{"done": 7}]}'::jsonb, 'the step output is a one-element array'
);

select * from finish();
rollback;
