-- Recovers a run in place, in one transaction, keeping the work already done.
--   from_steps null: resumes a failed or cancelled run. Completed steps stay
--     (and the completed elements of a map step that failed part-way); every
--     other step runs again: failed and cancelled tasks queue again with a
--     fresh attempt budget, steps that never ran become pending, conditions
--     are evaluated again as the steps become ready.
--   from_steps given: those steps and everything downstream of them run again
--     (also on a completed run: a step that "succeeded" with bad output), and
--     so does every step that had not completed; everything upstream is kept.
-- The run is started again; retry_count and retried_at record the retry, and
-- task_attempts keeps every earlier attempt (attempt numbers go on from
-- there). A late result of an attempt from before the retry changes nothing.
-- Two retries of one run at once: the second waits for the first and then
-- finds the run started (PF019). Retired flows may still be retried: a retry
-- recovers a run, it does not start new work.
create function pgflow.retry_run(run_id uuid, from_steps text[] default null)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_run pgflow.run_rows;
    v_retried pgflow.runs;
    v_now timestamptz := pgflow.now();
    -- the steps that run again, and among them the map steps resumed in place
    v_reset text[];
    v_resume text[];
    v_ready text[];
begin
    perform pgflow.check_list('from_steps', retry_run.from_steps);
    -- for update: the order every transition follows, and a second retry waits
    select r.* into v_run from pgflow.run_rows as r where r.run_id = retry_run.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(retry_run.run_id);
    end if;
    if v_run.status = 'started' then
        raise exception using
            errcode = 'PF019',
            message = pg_catalog.format('run %s is still running: there is nothing to retry', v_run.run_id),
            hint = 'wait for it to end, or cancel it (cancel_run) and then retry it';
    end if;
    if retry_run.from_steps is null and v_run.status = 'completed' then
        raise exception using
            errcode = 'PF019',
            message = pg_catalog.format('run %s completed: there is nothing to resume', v_run.run_id),
            hint = 'name the steps to run again (from_steps)';
    end if;
    if retry_run.from_steps is not null then
        if cardinality(retry_run.from_steps) = 0 then
            raise exception using
                errcode = 'PF009',
                message = 'from_steps must name at least one step (or be null to resume)';
        end if;
        perform pgflow.check_steps_exist(v_run.flow_slug, retry_run.from_steps);
    end if;

    with recursive downstream (slug) as (
        select f.slug from unnest(coalesce(retry_run.from_steps, '{}')) as f (slug)
        union
        select d.step_slug
        from downstream as ds
        join pgflow.deps as d on d.flow_slug = v_run.flow_slug and d.dep_slug = ds.slug
    )
    select array_agg(ss.step_slug order by ss.step_slug) into v_reset
    from pgflow.step_state_rows as ss
    where ss.run_id = v_run.run_id
        and (ss.status <> 'completed' or ss.step_slug in (select ds.slug from downstream as ds));

    -- the run first (its row is locked already): the retry is recorded before
    -- any step or task of it moves
    update pgflow.run_rows as r
    set status = 'started', error_message = null,
        completed_at = null, failed_at = null, cancelled_at = null,
        remaining_steps = cardinality(v_reset),
        retry_count = r.retry_count + 1, retried_at = v_now
    where r.run_id = v_run.run_id;

    -- resuming, a map step that failed part-way keeps its completed elements
    if retry_run.from_steps is null then
        select array_agg(ss.step_slug order by ss.step_slug) into v_resume
        from pgflow.step_state_rows as ss
        join pgflow.steps as s on s.flow_slug = ss.flow_slug and s.step_slug = ss.step_slug
        where ss.run_id = v_run.run_id
            and ss.step_slug = any(v_reset)
            and s.step_type = 'map'
            and ss.initial_tasks > 0
            and exists (
                select 1 from pgflow.step_tasks as t
                where t.run_id = ss.run_id and t.step_slug = ss.step_slug and t.status = 'completed'
            );
    end if;
    v_resume := coalesce(v_resume, '{}');

    -- the tasks of the steps that start over: a completed attempt lived only in
    -- its task row, so it goes on record first, as superseded (failed,
    -- timed-out, lost and cancelled attempts were recorded as they ended)
    insert into pgflow.task_attempts (
        run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome
    )
    select t.run_id, t.step_slug, t.task_index, t.attempts_count, t.claimed_by, t.started_at,
        t.completed_at, 'superseded'
    from pgflow.step_tasks as t
    where t.run_id = v_run.run_id
        and t.step_slug = any(v_reset)
        and not t.step_slug = any(v_resume)
        and t.status = 'completed'
    on conflict on constraint task_attempts_pkey do nothing;
    delete from pgflow.step_tasks as t
    where t.run_id = v_run.run_id and t.step_slug = any(v_reset) and not t.step_slug = any(v_resume);

    -- resumed map steps: unfinished elements queue again, with a fresh budget
    update pgflow.step_tasks as t
    set status = 'queued', visible_at = v_now, claimed_by = null, error_message = null,
        failed_at = null, cancelled_at = null,
        max_attempts = t.attempts_count + s.max_attempts
    from pgflow.steps as s
    where t.run_id = v_run.run_id
        and t.step_slug = any(v_resume)
        and t.status <> 'completed'
        and s.flow_slug = t.flow_slug
        and s.step_slug = t.step_slug;
    update pgflow.step_state_rows as ss
    set status = 'started', error_message = null, skip_reason = null,
        failed_at = null, skipped_at = null, cancelled_at = null,
        remaining_tasks = (
            select count(*)::integer from pgflow.step_tasks as t
            where t.run_id = ss.run_id and t.step_slug = ss.step_slug and t.status <> 'completed'
        )
    where ss.run_id = v_run.run_id and ss.step_slug = any(v_resume);

    -- the other steps start over, waiting for their dependencies that run again
    update pgflow.step_state_rows as ss
    set status = 'created',
        remaining_deps = (
            select count(*)::integer from pgflow.deps as d
            where d.flow_slug = ss.flow_slug and d.step_slug = ss.step_slug and d.dep_slug = any(v_reset)
        ),
        initial_tasks = null, remaining_tasks = null, error_message = null,
        skip_reason = null, started_at = null, completed_at = null, failed_at = null,
        skipped_at = null, cancelled_at = null
    where ss.run_id = v_run.run_id and ss.step_slug = any(v_reset) and not ss.step_slug = any(v_resume);

    select array_agg(ss.step_slug order by ss.step_slug) into v_ready
    from pgflow.step_state_rows as ss
    where ss.run_id = v_run.run_id and ss.status = 'created' and ss.remaining_deps = 0;
    perform pgflow.settle_run(v_run.run_id, pgflow.start_ready_steps(v_run.run_id, coalesce(v_ready, '{}')));
    if cardinality(v_resume) > 0 then
        perform pgflow.notify_tasks_ready(v_run.flow_slug);
    end if;
    select r.* into v_retried from pgflow.runs as r where r.run_id = retry_run.run_id;
    return v_retried;
end;
$$;
