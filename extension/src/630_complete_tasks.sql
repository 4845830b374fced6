-- Completes many tasks in one transaction with a fixed number of statements,
-- whatever the batch size: one commit and one pass per table for the whole
-- batch is how a queue beats one-commit-per-task. Returns how many tasks
-- changed state.
--
-- Rows are locked in key order, table by table, in the order every transition
-- follows (runs, step_tasks, step_states, runs again), so concurrent batches
-- cannot deadlock; the statement after a lock sees the latest committed rows.
create function pgflow.complete_tasks(
    run_ids uuid[],
    step_slugs text[],
    outputs jsonb[],
    task_indexes integer[] default null,
    attempts integer[] default null
)
returns integer
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_count integer := cardinality(complete_tasks.run_ids);
    v_now timestamptz := pgflow.now();
    v_bad record;
    -- an output's bound when neither its step nor its flow sets one
    v_max_output integer;
    -- the batch, deduplicated and sorted by task key
    v_batch pgflow.task_result[];
    -- the tasks of the batch that are still unfinished
    v_open pgflow.task_result[];
    v_found integer;
    -- how many tasks of the batch name an attempt that was never claimed
    v_unclaimed integer;
    v_changed integer;
    -- the steps whose last task this batch completed and that have dependents
    v_done pgflow.step_key[];
    v_ready record;
    -- per run, how many of its steps finished (a run may appear more than once)
    v_settle_runs uuid[];
    v_settle_counts integer[];
begin
    if cardinality(complete_tasks.step_slugs) is distinct from v_count
        or cardinality(complete_tasks.outputs) is distinct from v_count
        or (complete_tasks.task_indexes is not null and cardinality(complete_tasks.task_indexes) <> v_count)
        or (complete_tasks.attempts is not null and cardinality(complete_tasks.attempts) <> v_count)
        or greatest(
            pg_catalog.array_ndims(complete_tasks.run_ids), pg_catalog.array_ndims(complete_tasks.step_slugs),
            pg_catalog.array_ndims(complete_tasks.outputs), pg_catalog.array_ndims(complete_tasks.task_indexes),
            pg_catalog.array_ndims(complete_tasks.attempts)
        ) > 1 then
        raise exception using
            errcode = 'PF009',
            message = 'complete_tasks needs one-dimensional arrays of equal length '
            || '(run_ids, step_slugs, outputs, task_indexes, attempts)';
    end if;
    if coalesce(v_count, 0) = 0 then
        return 0;
    end if;

    -- one value per task, in key order; a task named twice keeps its first output
    select array_agg(
        row(i.run_id, i.step_slug, i.task_index, i.attempt, i.output)::pgflow.task_result
        order by i.run_id, i.step_slug, i.task_index
    )
    into v_batch
    from (
        select distinct on (i.run_id, i.step_slug, coalesce(i.task_index, 0))
            i.run_id, i.step_slug, coalesce(i.task_index, 0) as task_index, i.attempt,
            coalesce(i.output, 'null'::jsonb) as output
        from unnest(
            complete_tasks.run_ids, complete_tasks.step_slugs, complete_tasks.outputs,
            coalesce(complete_tasks.task_indexes, array_fill(null::integer, array[v_count])),
            coalesce(complete_tasks.attempts, array_fill(null::integer, array[v_count]))
        ) with ordinality as i (run_id, step_slug, output, task_index, attempt, position)
        order by i.run_id, i.step_slug, coalesce(i.task_index, 0), i.position
    ) as i;
    select b.attempt, b.run_id, b.step_slug into v_bad
    from unnest(v_batch) as b
    where b.attempt < 1
    limit 1;
    if found then
        perform pgflow.check_attempt(v_bad.attempt, v_bad.run_id, v_bad.step_slug);
    end if;

    -- key share: completions of one run proceed together; fail and cancel,
    -- which take the run for update, wait for them (and they for fail/cancel)
    select u.run_id into v_bad
    from (select distinct b.run_id from unnest(v_batch) as b) as u
    left join (
        select r.run_id from pgflow.run_rows as r
        where r.run_id in (select b.run_id from unnest(v_batch) as b)
        order by r.run_id
        for key share
    ) as r on r.run_id = u.run_id
    where r.run_id is null
    limit 1;
    if found then
        perform pgflow.raise_unknown_run(v_bad.run_id);
    end if;

    -- The tasks, in key order. Only the unfinished ones change; no need to
    -- read the run's status: a run that is no longer started has no
    -- unfinished task (end_run cancels them under the run lock this call now
    -- shares). The statements below join on primary keys only, so no plan can
    -- wander into the queue's partial indexes.
    select count(t.run_id)::integer,
        count(t.run_id) filter (where t.attempts_count = 0 or b.attempt > t.attempts_count)::integer,
        -- an earlier attempt's result is valid while the task is unfinished
        -- (its lease lapsed, or it was reported failed or timed out), unless
        -- that attempt belongs to before a retry_run (cancelled, or its
        -- completion superseded): the retry asked for the work again
        array_agg(
            row(b.run_id, b.step_slug, b.task_index, b.attempt, b.output)::pgflow.task_result
        ) filter (where t.status in ('queued', 'started') and (
            b.attempt is null
            or (t.status = 'started' and b.attempt = t.attempts_count)
            or not exists (
                select 1 from pgflow.task_attempts as a
                where a.run_id = b.run_id and a.step_slug = b.step_slug and a.task_index = b.task_index
                    and a.attempt = b.attempt and a.outcome in ('cancelled', 'superseded', 'completed')
            )
        ))
    into v_found, v_unclaimed, v_open
    from unnest(v_batch) as b
    left join (
        select t.run_id, t.step_slug, t.task_index, t.status, t.attempts_count
        from pgflow.step_tasks as t
        join unnest(v_batch) as k
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
        order by t.run_id, t.step_slug, t.task_index
        for update of t
    ) as t on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index;
    if v_found < cardinality(v_batch) then
        select b.run_id, b.step_slug, b.task_index into v_bad
        from unnest(v_batch) as b
        where not exists (
            select 1 from pgflow.step_tasks as t
            where t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        )
        limit 1;
        perform pgflow.raise_unknown_task(v_bad.run_id, v_bad.step_slug, v_bad.task_index);
    end if;
    if v_unclaimed > 0 then
        -- nothing has changed yet: the whole batch is refused
        select b.run_id, b.step_slug, b.task_index, b.attempt, t.attempts_count into v_bad
        from unnest(v_batch) as b
        join pgflow.step_tasks as t
            on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        where t.attempts_count = 0 or b.attempt > t.attempts_count
        limit 1;
        perform pgflow.raise_unclaimed_attempt(
            v_bad.run_id, v_bad.step_slug, v_bad.task_index, v_bad.attempt, v_bad.attempts_count
        );
    end if;
    if v_open is null then
        return 0;
    end if;

    -- Every output is bounded, and a declared secret is never stored in clear,
    -- whatever language the worker is written in. Nothing has changed yet:
    -- the call is refused, naming the task, never the value.
    v_max_output := (pg_catalog.jsonb_extract_path_text(pgflow.vocabulary(), 'max_output_bytes'))::integer;
    select b.run_id, b.step_slug, b.task_index, t.flow_slug,
        pg_catalog.pg_column_size(b.output) as size,
        coalesce(s.max_output_bytes, f.max_output_bytes, v_max_output) as max_bytes,
        case when s.secret_output is not null then pgflow.plain_secret_path(b.output, s.secret_output) end as plain
    into v_bad
    from unnest(v_open) as b
    join pgflow.step_tasks as t
        on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
    join pgflow.steps as s on s.flow_slug = t.flow_slug and s.step_slug = t.step_slug
    join pgflow.flows as f on f.flow_slug = t.flow_slug
    where pg_catalog.pg_column_size(b.output) > coalesce(s.max_output_bytes, f.max_output_bytes, v_max_output)
        or (s.secret_output is not null and pgflow.plain_secret_path(b.output, s.secret_output) is not null)
    limit 1;
    if found then
        if v_bad.plain is not null then
            raise exception using
                errcode = 'PF031',
                message = pg_catalog.format(
                    'the output of task %s of step %L of flow %L (run %s) holds a plain value at the secret path %L',
                    v_bad.task_index, v_bad.step_slug, v_bad.flow_slug, v_bad.run_id, v_bad.plain
                ),
                hint = 'seal secret values with a codec before completing the task (pgflow''s worker does, given a key)';
        end if;
        raise exception using
            errcode = 'PF032',
            message = pg_catalog.format(
                'the output of task %s of step %L of flow %L (run %s) is %s bytes, over the limit of %s',
                v_bad.task_index, v_bad.step_slug, v_bad.flow_slug, v_bad.run_id, v_bad.size, v_bad.max_bytes
            ),
            hint = 'return less (store large values elsewhere and return a reference: see docs/payloads.md), '
            || 'or raise the limit with max_output_bytes of add_step or create_flow';
    end if;

    -- the steps of these tasks, in key order, before the statement that counts them
    perform 1 from pgflow.step_state_rows as ss
    where (ss.run_id, ss.step_slug) in (select b.run_id, b.step_slug from unnest(v_open) as b)
    order by ss.run_id, ss.step_slug
    for no key update;

    with completed as (
        update pgflow.step_tasks as t
        set status = 'completed',
            output = b.output,
            completed_at = v_now,
            -- a stale attempt completing a task that waits for its retry was
            -- never re-claimed; it still counts as the attempt that produced it
            attempts_count = greatest(t.attempts_count, 1),
            started_at = coalesce(t.started_at, v_now)
        from unnest(v_open) as b
        where t.run_id = b.run_id
            and t.step_slug = b.step_slug
            and t.task_index = b.task_index
        returning t.run_id, t.step_slug, t.task_index, t.attempts_count, t.claimed_by,
            t.started_at, coalesce(b.attempt, t.attempts_count) as attempt
    ),
    -- The attempt a task completes on stays in the task row (run_attempts
    -- reads it there), so the usual completion writes no history. A late
    -- result of an earlier attempt, recorded as lease_expired when the task
    -- was claimed again, is the exception.
    recorded as (
        insert into pgflow.task_attempts (
            run_id, step_slug, task_index, attempt, finished_at, outcome
        )
        select c.run_id, c.step_slug, c.task_index, c.attempt, v_now, 'completed'
        from completed as c
        where c.attempt <> c.attempts_count
        on conflict on constraint task_attempts_pkey do update
        set outcome = 'completed', finished_at = excluded.finished_at, error_message = null,
            error_detail = null
    ),
    per_step as (
        select c.run_id, c.step_slug, count(*)::integer as tasks
        from completed as c
        group by c.run_id, c.step_slug
    ),
    -- the outputs stay in the task rows: a step's and a run's output are
    -- derived from them when read (the views pgflow.step_states, pgflow.runs)
    counted as (
        update pgflow.step_state_rows as ss
        set remaining_tasks = ss.remaining_tasks - p.tasks,
            status = case when ss.remaining_tasks = p.tasks then 'completed' else ss.status end,
            completed_at = case when ss.remaining_tasks = p.tasks then v_now end
        from per_step as p
        where ss.run_id = p.run_id
            and ss.step_slug = p.step_slug
            and ss.status = 'started'
        returning ss.run_id, ss.flow_slug, ss.step_slug, ss.status = 'completed' as done,
            exists (
                select 1 from pgflow.deps as d
                where d.flow_slug = ss.flow_slug and d.dep_slug = ss.step_slug
            ) as has_dependents
    )
    select (select coalesce(sum(p.tasks), 0)::integer from per_step as p),
        array_agg(c.run_id order by c.run_id) filter (where c.done),
        array_agg(row(c.run_id, c.flow_slug, c.step_slug)::pgflow.step_key order by c.run_id, c.step_slug)
        filter (where c.done and c.has_dependents)
    into v_changed, v_settle_runs, v_done
    from counted as c;

    if v_settle_runs is null then
        return v_changed;
    end if;

    -- each completed step counts once against its run, and so does each step
    -- that finished at once when its dependents were released
    v_settle_counts := array_fill(1, array[cardinality(v_settle_runs)]);
    if v_done is not null then
        for v_ready in
            select r.run_id, r.ready
            from pgflow.release_dependents_of(v_done) as r
            where cardinality(r.ready) > 0
            order by r.run_id
        loop
            v_settle_runs := v_settle_runs || v_ready.run_id;
            v_settle_counts := v_settle_counts
                || pgflow.start_ready_steps(v_ready.run_id, v_ready.ready);
        end loop;
    end if;
    perform pgflow.settle_runs(v_settle_runs, v_settle_counts);
    return v_changed;
end;
$$;
