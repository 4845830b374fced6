-- Records a task's result. Exactly once: a finished task, or a task of a run
-- that is no longer started, is left as it is. A call naming an older attempt
-- is still accepted while the task is unfinished, because its result is
-- valid; the current holder's later call is then the no-op. A call must name
-- an attempt that was claimed (PF017 otherwise); without an attempt it means
-- the task's latest claim. Returns the task row when this call completed it;
-- otherwise only its key and status, so a caller learns nothing of a task it
-- did not finish (another worker's output, say).
create function pgflow.complete_task(
    run_id uuid,
    step_slug text,
    output jsonb,
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
    v_changed integer;
begin
    -- one completion path for one task and for many: a batch of one
    v_changed := pgflow.complete_tasks(
        array[complete_task.run_id], array[complete_task.step_slug], array[complete_task.output],
        array[complete_task.task_index], array[complete_task.attempt]
    );
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = complete_task.run_id
        and t.step_slug = complete_task.step_slug
        and t.task_index = coalesce(complete_task.task_index, 0);
    if v_changed = 0 then
        return pgflow.task_status_only(v_task);
    end if;
    return v_task;
end;
$$;
