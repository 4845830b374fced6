begin;
select plan(7);

select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('1starts_with_digit') $$,
  'PF001', array['1starts_with_digit'], 'a slug starting with a digit is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('has-dash') $$,
  'PF001', array['has-dash'], 'a slug with a dash is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('has space') $$,
  'PF001', array['has space'], 'a slug with a space is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow('') $$,
  'PF001', array[]::text[], 'an empty slug is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.create_flow(null) $$,
  'PF001', array[]::text[], 'a null slug is rejected'
);
select pgflow_tests.throws_naming(
  format('select pgflow.create_flow(%L)', repeat('a', 129)),
  'PF001', array[]::text[], 'a slug of 129 characters is rejected'
);
select is(
  (select count(*)::int from pgflow.flows),
  0,
  'nothing was created'
);

select * from finish();
rollback;
