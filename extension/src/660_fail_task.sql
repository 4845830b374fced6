-- Records a failed attempt (see fail_attempt: retry with backoff, or the
-- when_exhausted policy on the last attempt). Only the current holder can
-- fail a task: a call naming another attempt, or for a task that is not
-- started, is stale and ignored (and returns only the task's key and status).
-- Like complete_task, it must name an attempt that was claimed (PF017);
-- without one it means the latest claim. error_detail carries what the worker
-- knows beyond the message (a traceback); both are cut at 65,536 characters.
create function pgflow.fail_task(
    run_id uuid,
    step_slug text,
    error_message text,
    task_index integer default 0,
    attempt integer default null,
    error_detail text default null
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
    return pgflow.fail_attempt(v_task, 'failed', fail_task.error_message, fail_task.error_detail);
end;
$$;
