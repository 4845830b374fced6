begin;
select plan(3);

select pgflow_tests.create_diamond_flow('out_leaves');
select pgflow.add_step('out_leaves', 'extra', deps => array['website']);
select pgflow.start_flow('out_leaves', '{}', '0a100000-0000-4000-8000-000000000006');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000006', 'website', '"page"');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000006', 'sentiment', '0.5');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000006', 'summary', '"sum"');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000006', 'extra', '[1]');
select is(
  (select output from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000006'),
  null, 'a run with a leaf still to run has no output'
);
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000006', 'saveToDb', 'true');

select is(
  (select output from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000006'),
  '{"extra": [1], "saveToDb": true}'::jsonb, 'the run''s output holds each leaf''s output, and only the leaves'''
);
select is(
  (select input from pgflow.step_tasks
   where run_id = '0a100000-0000-4000-8000-000000000006' and step_slug = 'sentiment'),
  null, 'a single task''s input is not stored: it is assembled from its dependencies when claimed'
);

select * from finish();
rollback;
