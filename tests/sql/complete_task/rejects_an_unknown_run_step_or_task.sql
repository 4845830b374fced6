begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('lookup_flow');
select pgflow.add_step('lookup_flow', 'only');
select pgflow.start_flow('lookup_flow', '{}', 'c0000000-0000-4000-8000-000000000006');

select pgflow_tests.throws_naming(
  $$ select pgflow.complete_task('c0000000-0000-4000-8000-0000000000ff', 'only', '1') $$,
  'PF010', array['c0000000-0000-4000-8000-0000000000ff'], 'an unknown run raises PF010 naming it'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.complete_task('c0000000-0000-4000-8000-000000000006', 'nope', '1') $$,
  'PF004', array['nope'], 'an unknown step raises PF004 naming it'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.complete_task('c0000000-0000-4000-8000-000000000006', 'only', '1', task_index => 7) $$,
  'PF004', array['only', '7'], 'an unknown task index raises PF004 naming step and index'
);

select * from finish();
rollback;
