begin;
select plan(3);

select pgflow.create_flow('used_flow');
select pgflow.add_step('used_flow', 'only');
select pgflow.start_flow('used_flow', '{}');

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('used_flow', 'late_step', deps => array['only']) $$,
  'PF012', array['used_flow'], 'a flow with runs is immutable: PF012 names it'
);
select lives_ok(
  $$ select pgflow.add_step('used_flow', 'only') $$,
  'replaying an identical step on a used flow is still a no-op'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'used_flow'),
  1,
  'no step was added'
);

select * from finish();
rollback;
