begin;
select plan(5);

select pgflow.create_flow('slug_flow');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('slug_flow', 'bad-step') $$,
  'PF001', array['slug_flow', 'bad-step'], 'a dash in a step slug is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('slug_flow', '9lives') $$,
  'PF001', array['slug_flow', '9lives'], 'a leading digit is rejected'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('slug_flow', '') $$,
  'PF001', array['slug_flow'], 'an empty step slug is rejected'
);
select pgflow_tests.throws_naming(
  format('select pgflow.add_step(%L, %L)', 'slug_flow', repeat('s', 129)),
  'PF001', array['slug_flow'], 'a step slug of 129 characters is rejected'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'slug_flow'),
  0,
  'no step was created'
);

select * from finish();
rollback;
