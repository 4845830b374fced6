begin;
select plan(2);

select pgflow_tests.create_diamond_flow('replayed');
select pgflow.start_flow('replayed', '{}');

select lives_ok(
  $$ select pgflow_tests.create_diamond_flow('replayed') $$,
  'replaying the whole registration of a used flow is a no-op (migrations may run twice)'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('replayed', max_attempts => 9) $$,
  'PF008', array['replayed', 'max_attempts'], 'a different shape is still refused'
);

select * from finish();
rollback;
