begin;
select plan(4);

select pgflow.create_flow('shape_flow', max_attempts => 3, base_delay => 1, timeout => 60);

select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('shape_flow', max_attempts => 5, base_delay => 1, timeout => 60) $$,
  'PF008',
  array['shape_flow', 'max_attempts'],
  'a different max_attempts raises PF008 naming the flow and the option'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('shape_flow', max_attempts => 3, base_delay => 9, timeout => 60) $$,
  'PF008',
  array['shape_flow', 'base_delay'],
  'a different base_delay raises PF008 naming the option'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('shape_flow', max_attempts => 3, base_delay => 1, timeout => 61) $$,
  'PF008',
  array['shape_flow', 'timeout'],
  'a different timeout raises PF008 naming the option'
);
select is(
  (select max_attempts::int from pgflow.flows where flow_slug = 'shape_flow'),
  3,
  'the original definition is untouched'
);

select * from finish();
rollback;
