begin;
select plan(6);

select pgflow.create_flow('redefine_flow');
select pgflow.add_step('redefine_flow', 'a');
select pgflow.add_step('redefine_flow', 'b');
select pgflow.add_step('redefine_flow', 'c', deps => array['a'], max_attempts => 2,
                       run_if => '{"run": {"go": true}}');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('redefine_flow', 'c', deps => array['a', 'b'], max_attempts => 2,
                            run_if => '{"run": {"go": true}}') $$,
  'PF008', array['redefine_flow', 'c', 'deps'], 'different deps raise PF008 naming deps'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('redefine_flow', 'c', deps => array['a'], max_attempts => 3,
                            run_if => '{"run": {"go": true}}') $$,
  'PF008', array['redefine_flow', 'c', 'max_attempts'], 'a different max_attempts raises PF008 naming it'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('redefine_flow', 'c', deps => array['a'], max_attempts => 2) $$,
  'PF008', array['redefine_flow', 'c', 'run_if'], 'a dropped condition raises PF008 naming run_if'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('redefine_flow', 'c', deps => array['a'], max_attempts => 2,
                            run_if => '{"run": {"go": true}}', step_type => 'map') $$,
  'PF008', array['redefine_flow', 'c', 'step_type'], 'a different step_type raises PF008 naming it'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('redefine_flow', 'a', timeout => 99) $$,
  'PF008', array['redefine_flow', 'a', 'timeout'], 'declaring an option that was inherited is a difference'
);
select is(
  (select max_attempts::int from pgflow.steps where flow_slug = 'redefine_flow' and step_slug = 'c'),
  2,
  'the original definition is untouched'
);

select * from finish();
rollback;
