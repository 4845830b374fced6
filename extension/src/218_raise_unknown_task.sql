create function pgflow.raise_unknown_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF004',
        message = pg_catalog.format(
            'task %s of step %s in run %s does not exist',
            raise_unknown_task.task_index, pgflow.clip(raise_unknown_task.step_slug), raise_unknown_task.run_id
        );
end;
$$;
