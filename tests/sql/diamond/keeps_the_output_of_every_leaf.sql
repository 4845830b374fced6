begin;
select plan(1);

-- two leaves: root -> left, root -> right.
select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('two_leaves');
select pgflow.add_step('two_leaves', 'root');
select pgflow.add_step('two_leaves', 'left', deps => array['root']);
select pgflow.add_step('two_leaves', 'right', deps => array['root']);
select pgflow.start_flow('two_leaves', '{}', 'dddddddd-0000-4000-8000-000000000002');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000002', 'root', '0');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000002', 'left', '"l"');
select pgflow_tests.complete_step('dddddddd-0000-4000-8000-000000000002', 'right', '["r"]');

select is(
  (select output from pgflow.runs where run_id = 'dddddddd-0000-4000-8000-000000000002'),
  '{"left": "l", "right": ["r"]}'::jsonb,
  'every leaf output is in the run output'
);

select * from finish();
rollback;
