-- The stored part of a step of a run: every column of pgflow.step_states but
-- its output, derived by that view from the step's tasks (pgflow.step_tasks).
create table pgflow.step_state_rows (
    run_id uuid not null references pgflow.run_rows (run_id) on delete cascade,
    flow_slug text not null,
    step_slug text not null,
    status text not null default 'created',
    remaining_deps integer not null,
    initial_tasks integer,
    remaining_tasks integer,
    error_message text,
    skip_reason text,
    created_at timestamptz not null,
    started_at timestamptz,
    completed_at timestamptz,
    failed_at timestamptz,
    skipped_at timestamptz,
    cancelled_at timestamptz,
    primary key (run_id, step_slug),
    foreign key (flow_slug, step_slug) references pgflow.steps (flow_slug, step_slug),
    constraint status_is_valid check (
        status in ('created', 'started', 'completed', 'failed', 'skipped', 'cancelled')
    ),
    constraint started_at_only_when_started check (
        (started_at is not null) or status in ('created', 'skipped', 'cancelled', 'failed')
    ),
    constraint completed_at_only_when_completed check (
        (completed_at is not null) = (status = 'completed')
    ),
    constraint failed_at_only_when_failed check ((failed_at is not null) = (status = 'failed')),
    constraint skipped_at_only_when_skipped check (
        (skipped_at is not null) = (status = 'skipped')
    ),
    constraint skip_reason_only_when_skipped check (
        (skip_reason is not null) = (status = 'skipped')
    ),
    constraint skip_reason_is_valid check (
        skip_reason in ('condition_unmet', 'dependency_skipped', 'retries_exhausted')
    ),
    constraint cancelled_at_only_when_cancelled check (
        (cancelled_at is not null) = (status = 'cancelled')
    ),
    constraint remaining_deps_is_not_negative check (remaining_deps >= 0),
    constraint remaining_tasks_is_not_negative check (remaining_tasks >= 0),
    constraint remaining_tasks_within_initial check (remaining_tasks <= initial_tasks)
);

comment on table pgflow.step_state_rows is
'The steps of each run without their outputs: read them through the view pgflow.step_states.';
