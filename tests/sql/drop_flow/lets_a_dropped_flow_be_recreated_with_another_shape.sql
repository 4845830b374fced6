begin;
select plan(2);

select pgflow.create_flow('reshaped');
select pgflow.add_step('reshaped', 'old_step');
select pgflow.start_flow('reshaped', '{}');

select set_config('pgflow.allow_drop_flow', 'on', true);
select pgflow.drop_flow('reshaped');

select lives_ok(
  $$ select pgflow.create_flow('reshaped', max_attempts => 9) $$,
  'the slug is free again, with other options'
);
select lives_ok(
  $$ select pgflow.add_step('reshaped', 'new_step') $$,
  'and takes new steps (no runs any more)'
);

select * from finish();
rollback;
