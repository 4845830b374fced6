begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('soon_flow');
select pgflow.add_step('soon_flow', 'soon', delay_seconds => 30);
select pgflow.create_flow('later_flow');
select pgflow.add_step('later_flow', 'later', delay_seconds => 60);
select pgflow.start_flow('soon_flow', '{}');
select pgflow.start_flow('later_flow', '{}');

select is(
  pgflow.next_task_visible_at(array['soon_flow', 'later_flow']),
  '2030-01-01 00:00:30+00'::timestamptz, 'the earliest visibility among the named flows'
);
select is(
  pgflow.next_task_visible_at(array['later_flow']),
  '2030-01-01 00:01:00+00'::timestamptz, 'filtered by flow'
);
select ok(
  pgflow.next_task_visible_at() <= '2030-01-01 00:00:30+00'::timestamptz,
  'null flow_slugs looks at every flow'
);
select is(pgflow.next_task_visible_at(array['no_such_flow']), null, 'null when nothing is pending');

select * from finish();
rollback;
