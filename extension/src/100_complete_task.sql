-- Records a task's result. Exactly once: a finished task, or a task of a run
-- that is no longer started, is left as it is and returned. A call naming an
-- older attempt is still accepted while the task is unfinished, because its
-- result is valid; the current holder's later call is then the no-op.
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
set search_path = ''
as $$
declare
    v_task pgflow.step_tasks;
begin
    perform pgflow.check_attempt(complete_task.attempt, complete_task.run_id, complete_task.step_slug);
    v_task := pgflow.record_completion(
        complete_task.run_id, complete_task.step_slug, coalesce(complete_task.task_index, 0),
        coalesce(complete_task.output, 'null'::jsonb)
    );
    return v_task;
end;
$$;

-- Completes many tasks in one transaction: one commit for the whole batch is
-- how a queue beats one-commit-per-task. Items are applied in a fixed order
-- (run, step, task) so concurrent batches lock rows in the same order.
-- Returns how many tasks changed state.
create function pgflow.complete_tasks(
    run_ids uuid[],
    step_slugs text[],
    outputs jsonb[],
    task_indexes integer[] default null,
    attempts integer[] default null
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_item record;
    v_changed integer := 0;
    v_count integer := cardinality(complete_tasks.run_ids);
begin
    if cardinality(complete_tasks.step_slugs) is distinct from v_count
        or cardinality(complete_tasks.outputs) is distinct from v_count
        or (complete_tasks.task_indexes is not null and cardinality(complete_tasks.task_indexes) <> v_count)
        or (complete_tasks.attempts is not null and cardinality(complete_tasks.attempts) <> v_count) then
        raise exception using
            errcode = 'PF009',
            message = 'complete_tasks needs arrays of equal length (run_ids, step_slugs, outputs, task_indexes, attempts)';
    end if;
    for v_item in
        select i.run_id, i.step_slug, coalesce(i.task_index, 0) as task_index, i.output
        from unnest(
            complete_tasks.run_ids, complete_tasks.step_slugs, complete_tasks.outputs,
            coalesce(complete_tasks.task_indexes, array_fill(0, array[v_count]))
        ) as i (run_id, step_slug, output, task_index)
        order by i.run_id, i.step_slug, coalesce(i.task_index, 0)
    loop
        if (pgflow.record_completion(
                v_item.run_id, v_item.step_slug, v_item.task_index,
                coalesce(v_item.output, 'null'::jsonb), true
            )).status = 'completed' then
            v_changed := v_changed + 1;
        end if;
    end loop;
    return v_changed;
end;
$$;

-- The shared completion path. With only_if_changed, returns a row whose
-- status is 'completed' only when this call completed the task.
create function pgflow.record_completion(
    run_id uuid, step_slug text, task_index integer, output jsonb,
    only_if_changed boolean default false
)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_task pgflow.step_tasks;
begin
    -- key share: completions of one run proceed together; fail and cancel,
    -- which take the row for update, wait for them (and they for fail/cancel)
    v_task := pgflow.lock_task(
        record_completion.run_id, record_completion.step_slug, record_completion.task_index, false
    );
    -- no need to read the run's status: a run that is no longer started has
    -- no unfinished task (fail_run and cancel_run cancel them under the run
    -- lock this call now shares), so the task's status says it all
    if v_task.status not in ('queued', 'started') then
        if record_completion.only_if_changed then
            v_task.status := 'unchanged';
        end if;
        return v_task;
    end if;
    update pgflow.step_tasks as t
    set status = 'completed',
        output = record_completion.output,
        completed_at = pgflow.now(),
        -- a stale attempt completing a task that waits for its retry was never
        -- re-claimed; it still counts as the attempt that produced the result
        attempts_count = greatest(t.attempts_count, 1),
        started_at = coalesce(t.started_at, pgflow.now())
    where t.run_id = record_completion.run_id
        and t.step_slug = record_completion.step_slug
        and t.task_index = record_completion.task_index
    returning t.* into v_task;
    perform pgflow.settle_run(
        record_completion.run_id,
        pgflow.count_completed_task(
            record_completion.run_id, v_task.flow_slug, record_completion.step_slug,
            record_completion.output
        )
    );
    return v_task;
end;
$$;

-- Takes the run row (for update when the call may end the run, else key
-- share) and then the task row: the lock order every transition follows.
create function pgflow.lock_task(
    run_id uuid, step_slug text, task_index integer, exclusive boolean
)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_task pgflow.step_tasks;
begin
    if lock_task.exclusive then
        perform 1 from pgflow.runs as r where r.run_id = lock_task.run_id for update;
    else
        perform 1 from pgflow.runs as r where r.run_id = lock_task.run_id for key share;
    end if;
    if not found then
        raise exception using
            errcode = 'PF010',
            message = pg_catalog.format('run %s does not exist', lock_task.run_id);
    end if;
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = lock_task.run_id
        and t.step_slug = lock_task.step_slug
        and t.task_index = lock_task.task_index
    for update;
    if not found then
        raise exception using
            errcode = 'PF004',
            message = pg_catalog.format(
                'task %s of step %L in run %s does not exist',
                lock_task.task_index, lock_task.step_slug, lock_task.run_id
            );
    end if;
    return v_task;
end;
$$;

-- An attempt number names a claim, and claims count from 1.
create function pgflow.check_attempt(attempt integer, run_id uuid, step_slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_attempt.attempt is not null and check_attempt.attempt < 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'attempt must be at least 1, got %s (run %s, step %L)',
                check_attempt.attempt, check_attempt.run_id, check_attempt.step_slug
            );
    end if;
end;
$$;
