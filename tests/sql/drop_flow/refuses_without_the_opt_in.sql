begin;
select plan(3);

select pgflow_tests.create_diamond_flow('precious');
select pgflow.start_flow('precious', '{}');

select pgflow_tests.throws_mentioning(
  $$ select pgflow.drop_flow('precious') $$,
  'PF013', array['precious', 'pgflow.allow_drop_flow'], 'drop_flow without the opt-in raises PF013 and tells how to opt in'
);
select set_config('pgflow.allow_drop_flow', 'off', true);
select pgflow_tests.throws_naming(
  $$ select pgflow.drop_flow('precious') $$,
  'PF013', array['precious'], 'an explicit off is refused too'
);
select is(
  (select count(*)::int from pgflow.runs where flow_slug = 'precious'),
  1,
  'the flow and its run are still there'
);

select * from finish();
rollback;
