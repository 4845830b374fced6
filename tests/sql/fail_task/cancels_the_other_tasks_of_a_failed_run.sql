begin;
select plan(7);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('sibling_flow', max_attempts => 3, timeout => 10);
select pgflow.add_step('sibling_flow', 'website');
select pgflow.add_step('sibling_flow', 'sentiment', deps => array['website']);
select pgflow.add_step('sibling_flow', 'summary', deps => array['website'], max_attempts => 1);
select pgflow.add_step('sibling_flow', 'saveToDb', deps => array['sentiment', 'summary']);
select pgflow.start_flow('sibling_flow', '{}', 'fa000000-0000-4000-8000-000000000008');
select pgflow.start_flow('sibling_flow', '{}', 'fa000000-0000-4000-8000-000000000009');
select pgflow_tests.complete_step('fa000000-0000-4000-8000-000000000008', 'website', '1');
select pgflow_tests.claim('sibling_flow');  -- both branches of the first run, the root of the second
select pgflow.fail_task('fa000000-0000-4000-8000-000000000008', 'summary', 'boom', 0, 1);

select is(pgflow_tests.run_status('fa000000-0000-4000-8000-000000000008'), 'failed', 'the run failed');
select is(pgflow_tests.task_status('fa000000-0000-4000-8000-000000000008', 'sentiment'), 'cancelled', 'the sibling task is cancelled');
select is(pgflow_tests.step_status('fa000000-0000-4000-8000-000000000008', 'sentiment'), 'cancelled', 'the sibling step is cancelled');
select is(pgflow_tests.step_status('fa000000-0000-4000-8000-000000000008', 'saveToDb'), 'cancelled', 'the waiting join is cancelled');

-- after every lease expired, the cancelled sibling (attempts left) is not handed out again.
select pgflow_tests.set_now('2030-01-01 00:05:00+00');
create temp table later as select * from pgflow_tests.claim('sibling_flow');
select is(
  (select count(*)::int from later where run_id = 'fa000000-0000-4000-8000-000000000008'),
  0, 'no task of the failed run is claimable'
);
select is(
  (select array_agg(step_slug) from later where run_id = 'fa000000-0000-4000-8000-000000000009'),
  array['website'], 'the other run is untouched: its expired root lease is claimable again'
);
select is(pgflow_tests.run_status('fa000000-0000-4000-8000-000000000009'), 'started', 'the other run is still started');

select * from finish();
rollback;
