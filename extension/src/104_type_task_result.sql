-- A task's key with the result reported for it: one value per task, where a
-- batch would otherwise carry parallel arrays that must stay in step.
create type pgflow.task_result as (
    run_id uuid,
    step_slug text,
    task_index integer,
    attempt integer,
    output jsonb
);
