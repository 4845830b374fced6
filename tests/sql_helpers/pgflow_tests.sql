-- shared helpers for the pgtap suite under tests/sql.
-- loaded once per test database (after `create extension pgtap; create
-- extension pgflow;`), so everything here is idempotent. bodies are plpgsql
-- so that creating the helpers never depends on pgflow's internals.

create schema if not exists pgflow_tests;

-- the worker every sql test claims with.
create or replace function pgflow_tests.worker_id()
returns uuid
language sql
immutable
as $$ select '11111111-1111-4111-8111-111111111111'::uuid $$;

-- moves pgflow.now() (the owner-only test clock): every test runs in a
-- transaction that rolls back, so the clock is back to real time afterwards.
create or replace function pgflow_tests.set_now(ts timestamptz)
returns timestamptz
language plpgsql
as $$
begin
  return pgflow.set_test_clock(set_now.ts);
end;
$$;

-- moves pgflow.now() forward by an interval.
create or replace function pgflow_tests.advance(by_interval interval)
returns timestamptz
language plpgsql
as $$
begin
  return pgflow_tests.set_now(pgflow.now() + advance.by_interval);
end;
$$;

-- the diamond flow of the seeds: website -> sentiment, summary -> saveToDb.
create or replace function pgflow_tests.create_diamond_flow(
  flow_slug text default 'diamond',
  max_attempts int default 3,
  base_delay int default 1,
  timeout int default 60
)
returns void
language plpgsql
as $$
begin
  perform pgflow.create_flow(
    flow_slug => create_diamond_flow.flow_slug,
    max_attempts => create_diamond_flow.max_attempts,
    base_delay => create_diamond_flow.base_delay,
    timeout => create_diamond_flow.timeout
  );
  perform pgflow.add_step(create_diamond_flow.flow_slug, 'website');
  perform pgflow.add_step(create_diamond_flow.flow_slug, 'sentiment', deps => array['website']);
  perform pgflow.add_step(create_diamond_flow.flow_slug, 'summary', deps => array['website']);
  perform pgflow.add_step(create_diamond_flow.flow_slug, 'saveToDb', deps => array['sentiment', 'summary']);
end;
$$;

-- claims every visible task of one flow (up to max_tasks) as the test worker.
create or replace function pgflow_tests.claim(flow text, max_tasks int default 1000)
returns table (
  run_id uuid,
  flow_slug text,
  step_slug text,
  task_index int,
  attempt int,
  input jsonb,
  lease_expires_at timestamptz
)
language plpgsql
as $$
begin
  return query
  select c.run_id, c.flow_slug, c.step_slug, c.task_index, c.attempt, c.input, c.lease_expires_at
  from pgflow.claim_tasks(pgflow_tests.worker_id(), claim.max_tasks, array[claim.flow]) as c;
end;
$$;

-- the sorted step slugs (one entry per task) a claim of every visible task returns.
create or replace function pgflow_tests.claimed_steps(flow text)
returns text[]
language plpgsql
as $$
declare
  v_steps text[];
begin
  select coalesce(array_agg(c.step_slug order by c.step_slug collate "C", c.task_index), '{}')
  into v_steps
  from pgflow_tests.claim(claimed_steps.flow) as c;
  return v_steps;
end;
$$;

-- claims whatever is visible in the run's flow, then lists the started tasks
-- of one step of the run with their current attempt: what complete_step and
-- fail_step act on.
create or replace function pgflow_tests.claimed_tasks(run uuid, step text)
returns table (task_index int, attempt int)
language plpgsql
as $$
begin
  perform pgflow_tests.claim(r.flow_slug) from pgflow.runs as r where r.run_id = claimed_tasks.run;
  return query
    select t.task_index, t.attempts_count
    from pgflow.step_tasks as t
    where t.run_id = claimed_tasks.run
      and t.step_slug = claimed_tasks.step
      and t.status = 'started'
    order by t.task_index;
end;
$$;

-- completes every claimed task of one step of the run with the given output.
-- returns how many tasks it completed.
create or replace function pgflow_tests.complete_step(run uuid, step text, output jsonb)
returns int
language sql
as $$
  select count(pgflow.complete_task(
    run_id => complete_step.run,
    step_slug => complete_step.step,
    output => complete_step.output,
    task_index => c.task_index,
    attempt => c.attempt
  ))::int
  from pgflow_tests.claimed_tasks(complete_step.run, complete_step.step) as c;
$$;

-- like complete_step, but fails every claimed task of the step once.
create or replace function pgflow_tests.fail_step(run uuid, step text, error_message text)
returns int
language sql
as $$
  select count(pgflow.fail_task(
    run_id => fail_step.run,
    step_slug => fail_step.step,
    error_message => fail_step.error_message,
    task_index => c.task_index,
    attempt => c.attempt
  ))::int
  from pgflow_tests.claimed_tasks(fail_step.run, fail_step.step) as c;
$$;

-- status of one step of a run.
create or replace function pgflow_tests.step_status(run uuid, step text)
returns text
language plpgsql
as $$
declare
  v_status text;
begin
  select s.status into v_status
  from pgflow.step_states as s
  where s.run_id = step_status.run and s.step_slug = step_status.step;
  return v_status;
end;
$$;

-- status of one task of a run.
create or replace function pgflow_tests.task_status(run uuid, step text, idx int default 0)
returns text
language plpgsql
as $$
declare
  v_status text;
begin
  select t.status into v_status
  from pgflow.step_tasks as t
  where t.run_id = task_status.run and t.step_slug = task_status.step and t.task_index = task_status.idx;
  return v_status;
end;
$$;

-- status of a run.
create or replace function pgflow_tests.run_status(run uuid)
returns text
language plpgsql
as $$
declare
  v_status text;
begin
  select r.status into v_status from pgflow.runs as r where r.run_id = run_status.run;
  return v_status;
end;
$$;

-- passes when `query` raises `errcode` with a message containing every one of
-- `needles` (in any order); pgtap's throws_ok checks a whole message and
-- throws_like ignores the sqlstate, we need both.
create or replace function pgflow_tests.throws_naming(
  query text,
  errcode text,
  needles text[],
  description text default null
)
returns text
language plpgsql
as $$
declare
  v_descr text := coalesce(
    throws_naming.description,
    'throws ' || throws_naming.errcode || ' naming ' || array_to_string(throws_naming.needles, ', ')
  );
  v_needle text;
  v_missing text[] := '{}';
begin
  execute throws_naming.query;
  return ok(false, v_descr) || e'\n' || diag('    no exception thrown');
exception when others then
  foreach v_needle in array throws_naming.needles loop
    if position(v_needle in sqlerrm) = 0 then
      v_missing := v_missing || v_needle;
    end if;
  end loop;
  if sqlstate = throws_naming.errcode and cardinality(v_missing) = 0 then
    return ok(true, v_descr);
  end if;
  return ok(false, v_descr) || e'\n' || diag(
    '    caught: ' || sqlstate || ': ' || sqlerrm
    || e'\n    wanted: ' || throws_naming.errcode || ' naming ' || array_to_string(throws_naming.needles, ', ')
  );
end;
$$;

-- claims the (single) task of `step` in `run`, fails it with the attempt it was
-- claimed with, moves the clock to when the task is visible again and returns
-- the delay the failure was given. used by the backoff tests.
create or replace function pgflow_tests.fail_and_wait(run uuid, step text)
returns interval
language plpgsql
as $$
declare
  v_before timestamptz := pgflow.now();
  v_attempt int;
  v_visible timestamptz;
begin
  select c.attempt into v_attempt
  from pgflow_tests.claim((select r.flow_slug from pgflow.runs as r where r.run_id = fail_and_wait.run)) as c
  where c.run_id = fail_and_wait.run and c.step_slug = fail_and_wait.step;
  if v_attempt is null then
    raise exception 'fail_and_wait: no claimable task for step % of run %', fail_and_wait.step, fail_and_wait.run;
  end if;
  perform pgflow.fail_task(fail_and_wait.run, fail_and_wait.step, 'attempt ' || v_attempt, 0, v_attempt);
  select t.visible_at into v_visible
  from pgflow.step_tasks as t
  where t.run_id = fail_and_wait.run and t.step_slug = fail_and_wait.step and t.task_index = 0;
  perform pgflow_tests.set_now(v_visible);
  return v_visible - v_before;
end;
$$;

-- true when `message` contains every one of `needles`, in any order.
create or replace function pgflow_tests.mentions(message text, needles text[])
returns boolean
language plpgsql
immutable
as $$
declare
  v_needle text;
begin
  if mentions.message is null then
    return false;
  end if;
  foreach v_needle in array mentions.needles loop
    if position(v_needle in mentions.message) = 0 then
      return false;
    end if;
  end loop;
  return true;
end;
$$;

-- like throws_naming, but the needles may be in the message, its detail or its
-- hint (for errors that list things, e.g. verify_flow's differing steps).
create or replace function pgflow_tests.throws_mentioning(
  query text,
  errcode text,
  needles text[],
  description text default null
)
returns text
language plpgsql
as $$
declare
  v_descr text := coalesce(
    throws_mentioning.description,
    'throws ' || throws_mentioning.errcode || ' mentioning ' || array_to_string(throws_mentioning.needles, ', ')
  );
  v_state text;
  v_text text;
  v_message text;
  v_detail text;
  v_hint text;
begin
  execute throws_mentioning.query;
  return ok(false, v_descr) || e'\n' || diag('    no exception thrown');
exception when others then
  get stacked diagnostics
    v_state = returned_sqlstate,
    v_message = message_text,
    v_detail = pg_exception_detail,
    v_hint = pg_exception_hint;
  v_text := concat_ws(e'\n', v_message, nullif(v_detail, ''), nullif(v_hint, ''));
  if v_state = throws_mentioning.errcode and pgflow_tests.mentions(v_text, throws_mentioning.needles) then
    return ok(true, v_descr);
  end if;
  return ok(false, v_descr) || e'\n' || diag(
    '    caught: ' || v_state || ': ' || v_text
    || e'\n    wanted: ' || throws_mentioning.errcode || ' mentioning ' || array_to_string(throws_mentioning.needles, ', ')
  );
end;
$$;

-- the counters of a run agree with its rows: null when they do, else what is off.
create or replace function pgflow_tests.run_inconsistency(run uuid)
returns text
language sql
as $$
  select nullif(concat_ws('; ',
    (select 'remaining_steps ' || r.remaining_steps || ' but ' || count(ss.*) || ' unfinished steps'
     from pgflow.runs as r
     left join pgflow.step_states as ss
       on ss.run_id = r.run_id and ss.status in ('created', 'started')
     where r.run_id = run_inconsistency.run and r.status = 'started'
     group by r.remaining_steps
     having r.remaining_steps <> count(ss.*)),
    (select string_agg(ss.step_slug || ': remaining_tasks ' || ss.remaining_tasks || ' but '
                       || (select count(*) from pgflow.step_tasks as t
                           where t.run_id = ss.run_id and t.step_slug = ss.step_slug and t.status <> 'completed')
                       || ' unfinished tasks', ', ')
     from pgflow.step_states as ss
     where ss.run_id = run_inconsistency.run and ss.status = 'started'
       and ss.remaining_tasks <> (select count(*) from pgflow.step_tasks as t
                                  where t.run_id = ss.run_id and t.step_slug = ss.step_slug
                                    and t.status <> 'completed')),
    (select string_agg(ss.step_slug || ': remaining_deps ' || ss.remaining_deps, ', ')
     from pgflow.step_states as ss
     where ss.run_id = run_inconsistency.run and ss.status = 'created'
       and ss.remaining_deps <> (select count(*) from pgflow.deps as d
                                 join pgflow.step_states as dep
                                   on dep.run_id = ss.run_id and dep.step_slug = d.dep_slug
                                 where d.flow_slug = ss.flow_slug and d.step_slug = ss.step_slug
                                   and dep.status not in ('completed', 'skipped')))
  ), '');
$$;
