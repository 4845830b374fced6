begin;
select plan(4);

select pgflow_tests.set_now('2030-01-01 00:00:00+00');
select pgflow.create_flow('meta_flow', max_attempts => 1);
select pgflow.add_step('meta_flow', 'quoted');
select pgflow.add_step('meta_flow', 'failing');
select pgflow.start_flow('meta_flow', $j${"q": "it's \"quoted\"; drop table pgflow.runs; --"}$j$, 'ba000000-0000-4000-8000-000000000003');
create temp table claimed as select * from pgflow_tests.claim('meta_flow');

select is(
  (select input -> 'run' ->> 'q' from claimed where step_slug = 'quoted'),
  $s$it's "quoted"; drop table pgflow.runs; --$s$,
  'the run input round-trips'
);
select pgflow.complete_task('ba000000-0000-4000-8000-000000000003', 'quoted',
  to_jsonb($s$O'Reilly \ %s %L $1 $$ '); delete from pgflow.flows; --$s$::text), 0, 1);
select is(
  (select output #>> '{}' from pgflow.step_tasks
   where run_id = 'ba000000-0000-4000-8000-000000000003' and step_slug = 'quoted'),
  $s$O'Reilly \ %s %L $1 $$ '); delete from pgflow.flows; --$s$,
  'an output full of quotes, format specifiers and dollars is stored verbatim'
);
select pgflow.fail_task('ba000000-0000-4000-8000-000000000003', 'failing',
  $s$ERROR: syntax error at or near "'"; %s %I %% \n $$ ; drop table pgflow.step_tasks;$s$, 0, 1);
select is(
  (select error_message from pgflow.step_tasks
   where run_id = 'ba000000-0000-4000-8000-000000000003' and step_slug = 'failing'),
  $s$ERROR: syntax error at or near "'"; %s %I %% \n $$ ; drop table pgflow.step_tasks;$s$,
  'an error message full of metacharacters is stored verbatim'
);
select is((select count(*)::int from pgflow.flows where flow_slug = 'meta_flow'), 1, 'and nothing was executed');

select * from finish();
rollback;
