begin;
select plan(5);

select pgflow_tests.create_diamond_flow('again_flow');

select lives_ok(
  $$ select pgflow_tests.create_diamond_flow('again_flow') $$,
  'replaying the whole registration is a no-op'
);
select is(
  (select s.step_index::int from pgflow.add_step('again_flow', 'saveToDb', deps => array['sentiment', 'summary']) as s),
  3,
  'add_step returns the existing row'
);
select lives_ok(
  $$ select pgflow.add_step('again_flow', 'saveToDb', deps => array['summary', 'sentiment']) $$,
  'deps are a set: another order is the same definition'
);
select is(
  (select count(*)::int from pgflow.steps where flow_slug = 'again_flow'),
  4,
  'no step was duplicated'
);
select is(
  (select count(*)::int from pgflow.deps where flow_slug = 'again_flow'),
  4,
  'no dep was duplicated'
);

select * from finish();
rollback;
