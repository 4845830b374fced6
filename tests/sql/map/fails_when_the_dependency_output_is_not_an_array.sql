begin;
select plan(5);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('not_a_list');
select pgflow.add_step('not_a_list', 'split');
select pgflow.add_step('not_a_list', 'each', deps => array['split'], step_type => 'map');
select pgflow.start_flow('not_a_list', '{}', '3a000000-0000-4000-8000-000000000007');

select lives_ok(
  $$ select pgflow_tests.complete_step('3a000000-0000-4000-8000-000000000007', 'split', '{"items": [1, 2]}') $$,
  'completing the dependency does not raise: the worker did its job'
);
select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000007', 'split'), 'completed', 'the dependency keeps its result');
select is(pgflow_tests.step_status('3a000000-0000-4000-8000-000000000007', 'each'), 'failed', 'the map step fails');
select is(pgflow_tests.run_status('3a000000-0000-4000-8000-000000000007'), 'failed', 'and so does the run');
select ok(
  pgflow_tests.mentions(
    (select error_message from pgflow.step_states
     where run_id = '3a000000-0000-4000-8000-000000000007' and step_slug = 'each'),
    array['not_a_list', 'each', 'object']
  ),
  'the error names the flow, the step and the type it got'
);

select * from finish();
rollback;
