begin;
select plan(3);

select pgflow.create_flow('self_flow');
select pgflow.add_step('self_flow', 'other');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('self_flow', 'narcissus', deps => array['narcissus']) $$,
  'PF006', array['self_flow', 'narcissus'], 'a new step depending on itself raises PF006'
);
select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('self_flow', 'other', deps => array['other']) $$,
  'PF006', array['self_flow', 'other'], 'an existing step re-added with itself as dependency raises PF006'
);
select is(
  (select count(*)::int from pgflow.deps where flow_slug = 'self_flow'),
  0,
  'no deps were recorded'
);

select * from finish();
rollback;
