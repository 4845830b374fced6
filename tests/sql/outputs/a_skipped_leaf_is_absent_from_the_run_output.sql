begin;
select plan(4);

select pgflow.create_flow('out_skip', max_attempts => 1);
select pgflow.add_step('out_skip', 'root');
select pgflow.add_step('out_skip', 'never', deps => array['root'], run_if => '{"root": {"go": true}}');
select pgflow.add_step('out_skip', 'gives_up', deps => array['root'], when_exhausted => 'skip');
select pgflow.add_step('out_skip', 'done', deps => array['root']);
select pgflow.start_flow('out_skip', '{}', '0a100000-0000-4000-8000-000000000004');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000004', 'root', '{"go": false}');
select pgflow_tests.fail_step('0a100000-0000-4000-8000-000000000004', 'gives_up', 'no luck');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000004', 'done', '"yes"');

select is(
  (select array_agg(step_slug || ' ' || status || ' ' || coalesce(skip_reason, '-') || ' '
                    || coalesce(output::text, 'no output') order by step_slug)
   from pgflow.step_states where run_id = '0a100000-0000-4000-8000-000000000004'),
  array['done completed - "yes"', 'gives_up skipped retries_exhausted no output',
        'never skipped condition_unmet no output', 'root completed - {"go": false}'],
  'skipped steps have no output; completed ones have theirs'
);
select is(
  (select status from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000004'),
  'completed', 'the run completed'
);
select is(
  (select output from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000004'),
  '{"done": "yes"}'::jsonb, 'its output holds the completed leaf; the skipped leaves are absent'
);

select pgflow.create_flow('out_all_skipped');
select pgflow.add_step('out_all_skipped', 'only', run_if => '{"run": {"go": true}}');
select pgflow.start_flow('out_all_skipped', '{}', '0a100000-0000-4000-8000-000000000005');
select is(
  (select status || ' ' || output::text from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000005'),
  'completed {}', 'a run whose only leaf was skipped completes with {}'
);

select * from finish();
rollback;
