-- The attempts of every task that ended without completing it (failed,
-- lease expired, timed out, cancelled), a late result of an earlier attempt
-- (completed), and completions that retry_run asked to redo (superseded):
-- who ran it, when, how it ended and why. The attempt a task is on
-- now, or completed with, lives in step_tasks (attempts_count, claimed_by,
-- started_at, completed_at), so claims and the usual completion write nothing
-- here; pgflow.run_attempts(run_id) reads both as one history. Deleted with
-- the task's run.
create table pgflow.task_attempts (
    run_id uuid not null,
    step_slug text not null,
    task_index integer not null,
    attempt integer not null,
    -- null when not known: a late result of an attempt whose lease had been
    -- taken over (the task row by then names the newer claim)
    worker_id uuid,
    claimed_at timestamptz,
    finished_at timestamptz not null,
    outcome text not null,
    error_message text,
    -- what the worker sent with a failure (a traceback), at most 65,536 characters
    error_detail text,
    primary key (run_id, step_slug, task_index, attempt),
    -- keyed to the step, not the task: retry_run replaces the tasks of the
    -- steps it re-runs, and their earlier attempts stay on record
    foreign key (run_id, step_slug)
    references pgflow.step_state_rows (run_id, step_slug) on delete cascade,
    constraint attempt_is_positive check (attempt >= 1),
    constraint outcome_is_valid check (
        outcome in ('completed', 'failed', 'lease_expired', 'timed_out', 'cancelled', 'superseded')
    ),
    constraint error_only_when_not_completed check (
        outcome <> 'completed' or (error_message is null and error_detail is null)
    )
);

comment on table pgflow.task_attempts is
'Finished attempts: completed | failed | lease_expired | timed_out | cancelled, with errors.';
