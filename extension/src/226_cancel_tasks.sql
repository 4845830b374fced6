-- Cancels the unfinished tasks of a run (of one step when step_slug is given):
-- they stop being claimable and late results for them become no-ops. An
-- attempt that was running is recorded as cancelled. The caller holds the run
-- row for update.
create function pgflow.cancel_tasks(run_id uuid, step_slug text, at timestamptz)
returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    with cancelled as (
        update pgflow.step_tasks as t
        set status = 'cancelled', cancelled_at = cancel_tasks.at
        from (
            select t.run_id, t.step_slug, t.task_index, t.status
            from pgflow.step_tasks as t
            where t.run_id = cancel_tasks.run_id
                and (cancel_tasks.step_slug is null or t.step_slug = cancel_tasks.step_slug)
                and t.status in ('queued', 'started')
            order by t.run_id, t.step_slug, t.task_index
            for update
        ) as o
        where t.run_id = o.run_id and t.step_slug = o.step_slug and t.task_index = o.task_index
        returning t.run_id, t.step_slug, t.task_index, t.attempts_count, t.claimed_by, t.started_at,
            o.status as was
    )
    insert into pgflow.task_attempts (
        run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome
    )
    select c.run_id, c.step_slug, c.task_index, c.attempts_count, c.claimed_by, c.started_at,
        cancel_tasks.at, 'cancelled'
    from cancelled as c
    where c.was = 'started'
    on conflict on constraint task_attempts_pkey do nothing
$$;
