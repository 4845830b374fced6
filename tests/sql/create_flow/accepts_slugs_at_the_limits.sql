begin;
select plan(4);

select lives_ok(
  format('select pgflow.create_flow(%L)', repeat('a', 128)),
  'a slug of 128 characters is accepted'
);
select lives_ok(
  $$ select pgflow.create_flow('_underscore_first') $$,
  'a slug starting with an underscore is accepted'
);
select lives_ok(
  $$ select pgflow.create_flow('MixedCase9') $$,
  'mixed case and digits are accepted'
);
select lives_ok(
  $$ select pgflow.create_flow('run') $$,
  'run is reserved for step slugs only, not flow slugs'
);

select * from finish();
rollback;
