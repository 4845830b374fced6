-- An attempt of a started task ended without a result: it failed, its lease
-- expired, or it ran past the step's execution_timeout (the outcome). The
-- attempt is recorded; before max_attempts the task is queued again after an
-- exponential backoff, on the last attempt the step's when_exhausted policy
-- applies. The one path of every such end. The caller holds the run row for
-- update and the task row, and has checked that the attempt is current.
create function pgflow.fail_attempt(
    task pgflow.step_tasks, outcome text, error_message text, error_detail text
)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks := fail_attempt.task;
    v_now timestamptz := pgflow.now();
    v_error text := pg_catalog.left(fail_attempt.error_message, 65536);
    v_delay integer;
begin
    insert into pgflow.task_attempts (
        run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome,
        error_message, error_detail
    )
    values (
        v_task.run_id, v_task.step_slug, v_task.task_index, v_task.attempts_count, v_task.claimed_by,
        v_task.started_at, v_now, fail_attempt.outcome, v_error,
        pg_catalog.left(fail_attempt.error_detail, 65536)
    )
    on conflict on constraint task_attempts_pkey do nothing;

    if v_task.attempts_count >= v_task.max_attempts then
        return pgflow.exhaust_task(v_task, v_error);
    end if;
    select pgflow.retry_delay(s.base_delay, v_task.attempts_count) into v_delay
    from pgflow.steps as s
    where s.flow_slug = v_task.flow_slug and s.step_slug = v_task.step_slug;
    update pgflow.step_tasks as t
    set status = 'queued',
        error_message = v_error,
        claimed_by = null,
        visible_at = v_now + pg_catalog.make_interval(secs => v_delay)
    where t.run_id = v_task.run_id
        and t.step_slug = v_task.step_slug
        and t.task_index = v_task.task_index
    returning t.* into v_task;
    if v_delay = 0 then
        perform pgflow.notify_tasks_ready(v_task.flow_slug);
    end if;
    return v_task;
end;
$$;
