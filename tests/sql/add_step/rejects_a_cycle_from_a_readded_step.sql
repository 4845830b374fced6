begin;
select plan(4);

-- the seeds' pitfall 1.3, verbatim.
select pgflow.create_flow('some_flow');
select pgflow.add_step('some_flow', 'step_a');
select pgflow.add_step('some_flow', 'step_b', deps => array['step_a']);

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('some_flow', 'step_a', deps => array['step_b']) $$,
  'PF007', array['some_flow', 'step_a'], 'a re-added step whose deps close a cycle raises PF007'
);

-- a longer cycle: x -> y -> z, then x re-added after z.
select pgflow.create_flow('long_cycle');
select pgflow.add_step('long_cycle', 'x');
select pgflow.add_step('long_cycle', 'y', deps => array['x']);
select pgflow.add_step('long_cycle', 'z', deps => array['y']);

select pgflow_tests.throws_naming(
  $$ select pgflow.add_step('long_cycle', 'x', deps => array['z']) $$,
  'PF007', array['long_cycle', 'x'], 'a cycle through three steps raises PF007'
);
select is(
  (select count(*)::int from pgflow.deps where flow_slug = 'some_flow' and step_slug = 'step_a'),
  0,
  'step_a keeps its original (empty) deps'
);
select is(
  (select deps_count::int from pgflow.steps where flow_slug = 'long_cycle' and step_slug = 'x'),
  0,
  'x is still a root step'
);

select * from finish();
rollback;
