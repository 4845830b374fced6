begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('strict_flow');
select pgflow.add_step('strict_flow', 'first');
select pgflow.add_step('strict_flow', 'must_run', deps => array['first'], run_if => '{"run": {"ok": true}}', when_unmet => 'fail');
select pgflow.add_step('strict_flow', 'other', deps => array['first']);
select pgflow.start_flow('strict_flow', '{"ok": false}', 'c1000000-0000-4000-8000-00000000000d');
select pgflow_tests.complete_step('c1000000-0000-4000-8000-00000000000d', 'first', '1');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000d', 'must_run'), 'failed', 'the step with an unmet condition fails');
select is(pgflow_tests.run_status('c1000000-0000-4000-8000-00000000000d'), 'failed', 'and the run fails');
select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000d', 'other'), 'cancelled', 'the sibling that became ready in the same transaction is cancelled');
select ok(
  pgflow_tests.mentions(
    (select error_message from pgflow.step_states
     where run_id = 'c1000000-0000-4000-8000-00000000000d' and step_slug = 'must_run'),
    array['must_run']
  ),
  'the error names the step'
);

select * from finish();
rollback;
