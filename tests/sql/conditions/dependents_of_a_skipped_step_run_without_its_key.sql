begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('skip_flow');
select pgflow.add_step('skip_flow', 'fetch');
select pgflow.add_step('skip_flow', 'enrich', deps => array['fetch'], run_if => '{"run": {"enrich": true}}');
select pgflow.add_step('skip_flow', 'save', deps => array['fetch', 'enrich']);
select pgflow.start_flow('skip_flow', '{"enrich": false}', 'c1000000-0000-4000-8000-00000000000b');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-00000000000b', 'fetch', '"data"');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000b', 'enrich'), 'skipped', 'the conditional step is skipped');
select is(
  (select input from pgflow_tests.claim('skip_flow')),
  '{"run": {"enrich": false}, "fetch": "data"}'::jsonb,
  'its dependent runs and does not see the skipped key'
);
select pgflow.complete_task('c1000000-0000-4000-8000-00000000000b', 'save', '"saved"');
select is(pgflow_tests.run_status('c1000000-0000-4000-8000-00000000000b'), 'completed', 'the run completes');
select is(
  (select remaining_steps::int from pgflow.runs where run_id = 'c1000000-0000-4000-8000-00000000000b'),
  0, 'the skipped step counted as done'
);

select * from finish();
rollback;
