begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('map_skip');
select pgflow.add_step('map_skip', 'list', run_if => '{"run": {"has_list": true}}');
select pgflow.add_step('map_skip', 'each', deps => array['list'], step_type => 'map');
select pgflow.add_step('map_skip', 'after', deps => array['each']);
select pgflow.start_flow('map_skip', '{"has_list": false}', 'c1000000-0000-4000-8000-00000000000e');

select is(pgflow_tests.step_status('c1000000-0000-4000-8000-00000000000e', 'list'), 'skipped', 'the dependency is skipped');
select is(
  (select status::text || '/' || skip_reason from pgflow.step_states
   where run_id = 'c1000000-0000-4000-8000-00000000000e' and step_slug = 'each'),
  'skipped/dependency_skipped', 'a map step with nothing to map over is skipped'
);
select is(
  (select input from pgflow_tests.claim('map_skip')),
  '{"run": {"has_list": false}}'::jsonb, 'a plain skip lets the next step run without either key'
);
select pgflow.complete_task('c1000000-0000-4000-8000-00000000000e', 'after', '"ok"');
select is(pgflow_tests.run_status('c1000000-0000-4000-8000-00000000000e'), 'completed', 'the run completes');

select * from finish();
rollback;
