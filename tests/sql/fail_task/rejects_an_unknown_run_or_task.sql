begin;
select plan(2);

select pgflow.create_flow('fail_lookup');
select pgflow.add_step('fail_lookup', 'only');
select pgflow.start_flow('fail_lookup', '{}', 'fa000000-0000-4000-8000-00000000000c');

select pgflow_tests.throws_naming(
  $$ select pgflow.fail_task('fa000000-0000-4000-8000-0000000000ff', 'only', 'x') $$,
  'PF010', array['fa000000-0000-4000-8000-0000000000ff'], 'an unknown run raises PF010'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.fail_task('fa000000-0000-4000-8000-00000000000c', 'ghost', 'x') $$,
  'PF004', array['ghost'], 'an unknown step raises PF004'
);

select * from finish();
rollback;
