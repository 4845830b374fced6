begin;
select plan(4);

create function pg_temp.plan_of(query text)
returns text
language plpgsql
as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute 'explain (costs off) ' || plan_of.query loop
    v_plan := v_plan || v_line || e'\n';
  end loop;
  return v_plan;
end;
$$;

select unalike(
  pg_temp.plan_of($$ select run_id, status, input, completed_at from pgflow.runs
                     where run_id = '0a100000-0000-4000-8000-00000000000a' $$),
  '%step_tasks%', 'reading a run without its output reads no task'
);
select unalike(
  pg_temp.plan_of($$ select step_slug, status, remaining_tasks from pgflow.step_states
                     where run_id = '0a100000-0000-4000-8000-00000000000a' $$),
  '%step_tasks%', 'reading step states without their outputs reads no task'
);
select alike(
  pg_temp.plan_of($$ select output from pgflow.step_states
                     where run_id = '0a100000-0000-4000-8000-00000000000a' $$),
  '%step_tasks%', 'reading a step''s output reads its tasks'
);
select alike(
  pg_temp.plan_of($$ select output from pgflow.runs
                     where run_id = '0a100000-0000-4000-8000-00000000000a' $$),
  '%step_tasks%', 'and so does reading a run''s output'
);

select * from finish();
rollback;
