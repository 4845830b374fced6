begin;
select plan(5);

select pgflow.create_flow('out_update');
select pgflow.add_step('out_update', 'only');
select pgflow.start_flow('out_update', '{}', '0a100000-0000-4000-8000-000000000008');
select pgflow_tests.complete_step('0a100000-0000-4000-8000-000000000008', 'only', '"kept"');

select lives_ok(
  $$ update pgflow.step_states set error_message = 'a note'
     where run_id = '0a100000-0000-4000-8000-000000000008' and step_slug = 'only' $$,
  'a plain column of pgflow.step_states can be updated through the view'
);
select is(
  (select error_message || ' ' || output::text from pgflow.step_states
   where run_id = '0a100000-0000-4000-8000-000000000008' and step_slug = 'only'),
  'a note "kept"', 'the change is stored and the output is still derived'
);
select lives_ok(
  $$ update pgflow.runs set retry_count = 1, retried_at = now()
     where run_id = '0a100000-0000-4000-8000-000000000008' $$,
  'a plain column of pgflow.runs can be updated through the view'
);
select is(
  (select retry_count || ' ' || output::text from pgflow.runs where run_id = '0a100000-0000-4000-8000-000000000008'),
  '1 {"only": "kept"}', 'the change is stored in pgflow.run_rows'
);
select throws_ok(
  $$ update pgflow.step_states set output = '1'
     where run_id = '0a100000-0000-4000-8000-000000000008' $$,
  '0A000', null, 'a derived output cannot be written'
);

select * from finish();
rollback;
