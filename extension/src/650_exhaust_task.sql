-- A task used its last attempt. The task fails, the step's other tasks are
-- no longer worth running, and the step's when_exhausted policy applies (see
-- give_up_step). The caller holds the run row for update.
create function pgflow.exhaust_task(task pgflow.step_tasks, error_message text)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
    v_policy text;
    v_now timestamptz := pgflow.now();
    v_message text;
    v_given record;
begin
    update pgflow.step_tasks as t
    set status = 'failed', failed_at = v_now, error_message = exhaust_task.error_message,
        claimed_by = null
    where t.run_id = (exhaust_task.task).run_id
        and t.step_slug = (exhaust_task.task).step_slug
        and t.task_index = (exhaust_task.task).task_index
    returning t.* into v_task;
    select s.when_exhausted into v_policy from pgflow.steps as s
    where s.flow_slug = v_task.flow_slug and s.step_slug = v_task.step_slug;
    v_message := pg_catalog.format(
        'step %L of flow %L: task %s failed after %s attempt(s): %s',
        v_task.step_slug, v_task.flow_slug, v_task.task_index, v_task.attempts_count,
        exhaust_task.error_message
    );

    perform pgflow.cancel_tasks(v_task.run_id, v_task.step_slug, v_now);
    v_given := pgflow.give_up_step(
        v_task.run_id, v_task.flow_slug, v_task.step_slug, v_policy, 'retries_exhausted', v_message
    );
    if v_given.ready is not null then
        perform pgflow.settle_run(
            v_task.run_id, v_given.finished + pgflow.start_ready_steps(v_task.run_id, v_given.ready)
        );
    end if;
    return v_task;
end;
$$;
