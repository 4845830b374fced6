begin;
select plan(4);

select pgflow_tests.create_diamond_flow('deps_flow');

select results_eq(
  $$ select step_slug, step_index::int from pgflow.steps where flow_slug = 'deps_flow' order by step_index $$,
  $$ values ('website', 0), ('sentiment', 1), ('summary', 2), ('saveToDb', 3) $$,
  'step_index follows the order steps were added'
);
select results_eq(
  $$ select dep_slug, step_slug from pgflow.deps where flow_slug = 'deps_flow'
     order by step_slug collate "C", dep_slug collate "C" $$,
  $$ values ('sentiment', 'saveToDb'), ('summary', 'saveToDb'),
            ('website', 'sentiment'), ('website', 'summary') $$,
  'one deps row per edge'
);
select is(
  (select deps_count::int from pgflow.steps where flow_slug = 'deps_flow' and step_slug = 'saveToDb'),
  2,
  'deps_count counts the dependencies'
);
select is(
  (select deps_count::int from pgflow.steps where flow_slug = 'deps_flow' and step_slug = 'sentiment'),
  1,
  'a single dependency'
);

select * from finish();
rollback;
