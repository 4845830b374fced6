begin;
select plan(3);

select pgflow.create_flow('reserved_flow');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('reserved_flow', 'run') $$,
  'PF001', array['reserved_flow', 'run'], 'run is reserved: it is the key of the run input'
);
select pgflow.add_step('reserved_flow', 'first');
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('reserved_flow', 'second', deps => array['run']) $$,
  'PF003', array['reserved_flow', 'second', 'run'], 'run is no step one can depend on'
);
select lives_ok(
  $$ select pgflow.add_step('reserved_flow', 'runner') $$,
  'a slug merely starting with run is fine'
);

select * from finish();
rollback;
