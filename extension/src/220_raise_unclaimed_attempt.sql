-- A completion or failure must name an attempt a claim actually made: a task
-- never claimed, or an attempt beyond the task's attempts, is refused before
-- anything changes, so nobody can finish a task nobody ran.
create function pgflow.raise_unclaimed_attempt(
    run_id uuid, step_slug text, task_index integer, attempt integer, attempts_count integer
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF017',
        message = case
            when raise_unclaimed_attempt.attempts_count = 0 then pg_catalog.format(
                'task %s of step %s in run %s was never claimed',
                raise_unclaimed_attempt.task_index, pgflow.clip(raise_unclaimed_attempt.step_slug),
                raise_unclaimed_attempt.run_id
            )
            else pg_catalog.format(
                'attempt %s of task %s of step %s in run %s was never claimed (the task has had %s attempt(s))',
                raise_unclaimed_attempt.attempt, raise_unclaimed_attempt.task_index,
                pgflow.clip(raise_unclaimed_attempt.step_slug), raise_unclaimed_attempt.run_id,
                raise_unclaimed_attempt.attempts_count
            )
        end,
        hint = 'complete or fail a task with the attempt number its claim returned';
end;
$$;
