begin;
select plan(3);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('prio');
select pgflow.add_step('prio', 'each', step_type => 'map');
select pgflow.start_flow('prio', (select jsonb_agg(i) from generate_series(1, 50) as i));
select pgflow_tests.set_now('2030-01-01 00:00:01+00');
select pgflow.start_flow('prio', '["urgent-1", "urgent-2"]', priority => 10);

select is(
  (select array_agg(distinct priority) from pgflow.step_tasks where input::text like '"urgent%'),
  array[10], 'a map step''s tasks inherit their run''s priority'
);
select results_eq(
  $$ select input from pgflow_tests.claim('prio', 2) order by input $$,
  $$ values ('"urgent-1"'::jsonb), ('"urgent-2"') $$,
  'the later, higher-priority run is claimed first'
);
select results_eq(
  $$ select input from pgflow_tests.claim('prio', 2) order by input $$,
  $$ values ('1'::jsonb), ('2') $$,
  'equal priorities keep visible order'
);

select * from finish();
rollback;
