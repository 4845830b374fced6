begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('cancel_done');
select pgflow.add_step('cancel_done', 'only');
select pgflow.start_flow('cancel_done', '{}', 'ca000000-0000-4000-8000-000000000004');
select pgflow_tests.complete_step('ca000000-0000-4000-8000-000000000004', 'only', '"out"');

select is(
  (select r.status::text from pgflow.cancel_run('ca000000-0000-4000-8000-000000000004') as r),
  'completed', 'cancelling a completed run returns it unchanged'
);
select is(
  (select cancelled_at from pgflow.runs where run_id = 'ca000000-0000-4000-8000-000000000004'),
  null, 'no cancelled_at'
);
select is(
  (select r.status::text from pgflow.cancel_run('ca000000-0000-4000-8000-000000000004') as r),
  'completed', 'and again'
);

select * from finish();
rollback;
