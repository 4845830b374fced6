-- A worker whose handlers are still running keeps their tasks: each named
-- attempt that is still the task's current one and held by this worker gets
-- a fresh lease of the step's timeout, so the timeout is a heartbeat timeout,
-- not a limit on the work. Returns, per task, what the worker should do:
--   held       keep going (lease_expires_at is the new expiry)
--   timed_out  the attempt ran past the step's execution_timeout: it was
--              failed (and retries, per max_attempts); stop the handler
--   cancelled  the run was cancelled or failed: stop the handler
--   lost       the task moved on (another attempt holds it, or it finished):
--              stop; a late result follows the stale-result rule
-- Overrun attempts are failed first, each under the run-then-task lock order;
-- the extension then locks only task rows, in key order.
create function pgflow.extend_leases(
    worker_id uuid,
    run_ids uuid[],
    step_slugs text[],
    task_indexes integer[],
    attempts integer[]
)
returns table (
    run_id uuid,
    step_slug text,
    task_index integer,
    attempt integer,
    status text,
    lease_expires_at timestamptz
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_now timestamptz := pgflow.now();
    v_count integer := cardinality(extend_leases.run_ids);
    v_over record;
    v_task pgflow.step_tasks;
    v_timed_out pgflow.task_result[] := '{}'::pgflow.task_result[];
begin
    if extend_leases.worker_id is null
        or cardinality(extend_leases.step_slugs) is distinct from v_count
        or cardinality(extend_leases.task_indexes) is distinct from v_count
        or cardinality(extend_leases.attempts) is distinct from v_count
        or greatest(
            pg_catalog.array_ndims(extend_leases.run_ids), pg_catalog.array_ndims(extend_leases.step_slugs),
            pg_catalog.array_ndims(extend_leases.task_indexes), pg_catalog.array_ndims(extend_leases.attempts)
        ) > 1 then
        raise exception using
            errcode = 'PF009',
            message = 'extend_leases needs a worker_id and one-dimensional arrays of equal length '
            || '(run_ids, step_slugs, task_indexes, attempts)';
    end if;
    if coalesce(v_count, 0) = 0 then
        return;
    end if;

    for v_over in
        select b.run_id, b.step_slug, b.task_index, b.attempt, s.execution_timeout
        from unnest(
            extend_leases.run_ids, extend_leases.step_slugs, extend_leases.task_indexes, extend_leases.attempts
        ) as b (run_id, step_slug, task_index, attempt)
        join pgflow.step_tasks as t
            on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        join pgflow.steps as s on s.flow_slug = t.flow_slug and s.step_slug = t.step_slug
        where t.status = 'started'
            and t.attempts_count = b.attempt
            and t.claimed_by = extend_leases.worker_id
            and t.started_at + pg_catalog.make_interval(secs => s.execution_timeout) <= v_now
        order by b.run_id, b.step_slug, b.task_index
    loop
        v_task := pgflow.lock_task(v_over.run_id, v_over.step_slug, v_over.task_index, missing_ok => true);
        if v_task.status = 'started' and v_task.attempts_count = v_over.attempt then
            perform pgflow.fail_attempt(
                v_task, 'timed_out',
                pg_catalog.format(
                    'execution timeout: attempt %s ran longer than the step''s execution_timeout of %s s',
                    v_over.attempt, v_over.execution_timeout
                ),
                null
            );
            v_timed_out := v_timed_out
                || row(v_over.run_id, v_over.step_slug, v_over.task_index, v_over.attempt, null)::pgflow.task_result;
        end if;
    end loop;

    return query
    with keys as (
        select b.run_id, b.step_slug, coalesce(b.task_index, 0) as task_index, b.attempt
        from unnest(
            extend_leases.run_ids, extend_leases.step_slugs, extend_leases.task_indexes, extend_leases.attempts
        ) as b (run_id, step_slug, task_index, attempt)
    ),
    locked as (
        select t.run_id, t.step_slug, t.task_index
        from pgflow.step_tasks as t
        join keys as k
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
        where t.status = 'started'
            and t.attempts_count = k.attempt
            and t.claimed_by = extend_leases.worker_id
        order by t.run_id, t.step_slug, t.task_index
        for no key update of t
    ),
    held as (
        update pgflow.step_tasks as t
        set visible_at = v_now + pg_catalog.make_interval(secs => s.timeout)
        from locked as l, pgflow.steps as s
        where t.run_id = l.run_id
            and t.step_slug = l.step_slug
            and t.task_index = l.task_index
            and s.flow_slug = t.flow_slug
            and s.step_slug = t.step_slug
        returning t.run_id, t.step_slug, t.task_index, t.visible_at
    )
    select k.run_id, k.step_slug, k.task_index, k.attempt,
        case
            when h.run_id is not null then 'held'
            when exists (
                select 1 from unnest(v_timed_out) as o
                where o.run_id = k.run_id and o.step_slug = k.step_slug and o.task_index = k.task_index
            ) then 'timed_out'
            when t.status = 'cancelled' then 'cancelled'
            else 'lost'
        end,
        h.visible_at
    from keys as k
    left join held as h
        on h.run_id = k.run_id and h.step_slug = k.step_slug and h.task_index = k.task_index
    left join pgflow.step_tasks as t
        on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
    order by k.run_id, k.step_slug, k.task_index;
end;
$$;
