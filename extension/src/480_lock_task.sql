-- Takes the run row for update (a failure may end the run, which must not
-- race completions: they hold it for key share) and then the task row: the
-- lock order every transition follows. A run or task that does not exist
-- raises, or with missing_ok returns null (a task seen a moment ago by a scan
-- may have been dropped since).
create function pgflow.lock_task(
    run_id uuid, step_slug text, task_index integer, missing_ok boolean default false
)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    perform 1 from pgflow.run_rows as r where r.run_id = lock_task.run_id for update;
    if not found then
        if lock_task.missing_ok then
            return null;
        end if;
        perform pgflow.raise_unknown_run(lock_task.run_id);
    end if;
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = lock_task.run_id
        and t.step_slug = lock_task.step_slug
        and t.task_index = lock_task.task_index
    for update;
    if not found and not lock_task.missing_ok then
        perform pgflow.raise_unknown_task(lock_task.run_id, lock_task.step_slug, lock_task.task_index);
    end if;
    return v_task;
end;
$$;
