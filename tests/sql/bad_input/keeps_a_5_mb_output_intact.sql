begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('big_payload');
select pgflow.add_step('big_payload', 'fetch_big_report');
select pgflow.add_step('big_payload', 'summarize', deps => array['fetch_big_report']);
select pgflow.start_flow('big_payload', '{}', 'ba000000-0000-4000-8000-000000000001');
select pgflow_tests.claim('big_payload');

select lives_ok(
  $$ select pgflow.complete_task('ba000000-0000-4000-8000-000000000001', 'fetch_big_report',
       jsonb_build_object('bigReport', repeat('x', 5 * 1024 * 1024)), 0, 1) $$,
  'a 5 MB output is accepted'
);
select is(
  (select length(output ->> 'bigReport') from pgflow.step_tasks
   where run_id = 'ba000000-0000-4000-8000-000000000001' and step_slug = 'fetch_big_report'),
  5 * 1024 * 1024, 'it is stored whole'
);
create temp table next_task as select * from pgflow_tests.claim('big_payload');
select is(
  (select length(input -> 'fetch_big_report' ->> 'bigReport') from next_task),
  5 * 1024 * 1024, 'the dependent receives it whole'
);
select pgflow.complete_task('ba000000-0000-4000-8000-000000000001', 'summarize', '"short"');
select is(pgflow_tests.run_status('ba000000-0000-4000-8000-000000000001'), 'completed', 'the run completes');

select * from finish();
rollback;
