begin;
select plan(2);

select pgflow.create_flow('hollow_flow');

select pgflow_tests.throws_naming(
  $$ select pgflow.start_flow('hollow_flow', '{}') $$,
  'PF016', array['hollow_flow'], 'a flow without steps cannot run: PF016'
);
select is(
  (select count(*)::int from pgflow.runs where flow_slug = 'hollow_flow'), 0, 'no run was created'
);

select * from finish();
rollback;
