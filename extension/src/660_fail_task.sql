-- Records a failed attempt. Before max_attempts the task is queued again after
-- an exponential backoff; on the last attempt the step's when_exhausted policy
-- applies. Only the current holder can fail a task: a call naming another
-- attempt, or for a task that is not started, is stale and ignored (and
-- returns only the task's key and status). Like complete_task, it must name
-- an attempt that was claimed (PF017); without one it means the latest claim.
-- The stored message is cut at 65,536 characters.
create function pgflow.fail_task(
    run_id uuid,
    step_slug text,
    error_message text,
    task_index integer default 0,
    attempt integer default null
)
returns pgflow.step_tasks
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_task pgflow.step_tasks;
    v_delay integer;
    v_error text := pg_catalog.left(fail_task.error_message, 65536);
begin
    perform pgflow.check_attempt(fail_task.attempt, fail_task.run_id, fail_task.step_slug);
    v_task := pgflow.lock_task(fail_task.run_id, fail_task.step_slug, coalesce(fail_task.task_index, 0));
    if v_task.attempts_count = 0 or fail_task.attempt > v_task.attempts_count then
        perform pgflow.raise_unclaimed_attempt(
            v_task.run_id, v_task.step_slug, v_task.task_index, fail_task.attempt, v_task.attempts_count
        );
    end if;
    -- a started task implies a started run: ending a run cancels its tasks
    if v_task.status <> 'started'
        or fail_task.attempt <> v_task.attempts_count then
        return pgflow.task_status_only(v_task);
    end if;

    if v_task.attempts_count < v_task.max_attempts then
        select pgflow.retry_delay(s.base_delay, v_task.attempts_count) into v_delay
        from pgflow.steps as s
        where s.flow_slug = v_task.flow_slug and s.step_slug = v_task.step_slug;
        update pgflow.step_tasks as t
        set status = 'queued',
            error_message = v_error,
            claimed_by = null,
            visible_at = pgflow.now() + pg_catalog.make_interval(secs => v_delay)
        where t.run_id = v_task.run_id
            and t.step_slug = v_task.step_slug
            and t.task_index = v_task.task_index
        returning t.* into v_task;
        if v_delay = 0 then
            perform pgflow.notify_tasks_ready(v_task.flow_slug);
        end if;
        return v_task;
    end if;

    return pgflow.exhaust_task(v_task, v_error);
end;
$$;
