begin;
select plan(1);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('nv_lease', timeout => 45);
select pgflow.add_step('nv_lease', 'only');
select pgflow.start_flow('nv_lease', '{}');
select pgflow_tests.claim('nv_lease');

select is(
  pgflow.next_task_visible_at(array['nv_lease']),
  '2030-01-01 00:00:45+00'::timestamptz,
  'a leased task is claimable again when its lease expires'
);

select * from finish();
rollback;
