-- Fails a task whose lease expired on its last attempt (see fail_attempt:
-- the step's when_exhausted policy applies). Rechecks everything under the locks: a late
-- complete_task may have won the race. (A started task implies a started
-- run: ending a run cancels its tasks.)
create function pgflow.expire_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    v_task := pgflow.lock_task(
        expire_task.run_id, expire_task.step_slug, expire_task.task_index, missing_ok => true
    );
    if v_task.status is distinct from 'started'
        or v_task.visible_at > pgflow.now()
        or v_task.attempts_count < v_task.max_attempts then
        return;
    end if;
    perform pgflow.fail_attempt(
        v_task, 'lease_expired',
        pg_catalog.format(
            'lease expired: no result within the step timeout on attempt %s of %s',
            v_task.attempts_count, v_task.max_attempts
        ),
        null
    );
end;
$$;
