-- What a completion or failure that changed nothing returns: the task's key
-- and status, nothing of its input, output or error.
create function pgflow.task_status_only(task pgflow.step_tasks)
returns pgflow.step_tasks
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    v_task.run_id := (task_status_only.task).run_id;
    v_task.flow_slug := (task_status_only.task).flow_slug;
    v_task.step_slug := (task_status_only.task).step_slug;
    v_task.task_index := (task_status_only.task).task_index;
    v_task.status := (task_status_only.task).status;
    return v_task;
end;
$$;
