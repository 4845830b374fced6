-- Every attempt of every task of a run, in order: the finished ones from
-- task_attempts and the one each task is on now (running) or completed with,
-- from step_tasks. What `pgflow status` and the client show.
create function pgflow.run_attempts(run_id uuid)
returns table (
    step_slug text,
    task_index integer,
    attempt integer,
    worker_id uuid,
    claimed_at timestamptz,
    finished_at timestamptz,
    outcome text,
    error_message text,
    error_detail text
)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select a.step_slug, a.task_index, a.attempt, a.worker_id, a.claimed_at, a.finished_at,
        a.outcome, a.error_message, a.error_detail
    from pgflow.task_attempts as a
    where a.run_id = run_attempts.run_id
    union all
    select t.step_slug, t.task_index, t.attempts_count, t.claimed_by, t.started_at, t.completed_at,
        case when t.status = 'started' then 'running' else 'completed' end, null, null
    from pgflow.step_tasks as t
    where t.run_id = run_attempts.run_id
        and t.status in ('started', 'completed')
        and t.attempts_count >= 1
        and not exists (
            select 1 from pgflow.task_attempts as a
            where a.run_id = t.run_id and a.step_slug = t.step_slug and a.task_index = t.task_index
                -- a late result of an earlier attempt completed the task
                and (a.attempt = t.attempts_count or (a.outcome = 'completed' and t.status = 'completed'))
        )
    order by 1, 2, 3
$$;
