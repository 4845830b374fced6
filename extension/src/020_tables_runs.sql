-- Run state tables. The status columns are a state machine; the named checks
-- keep every timestamp and payload consistent with the status, whatever code
-- wrote the row.

create table pgflow.runs (
    run_id uuid primary key default gen_random_uuid(),
    flow_slug text not null references pgflow.flows (flow_slug),
    status text not null default 'started',
    input jsonb not null,
    output jsonb,
    remaining_steps integer not null,
    error_message text,
    started_at timestamptz not null,
    completed_at timestamptz,
    failed_at timestamptz,
    cancelled_at timestamptz,
    finished_at timestamptz generated always as (
        coalesce(completed_at, failed_at, cancelled_at)
    ) stored,
    constraint status_is_valid check (
        status in ('started', 'completed', 'failed', 'cancelled')
    ),
    constraint completed_at_only_when_completed check (
        (completed_at is not null) = (status = 'completed')
    ),
    constraint failed_at_only_when_failed check ((failed_at is not null) = (status = 'failed')),
    constraint cancelled_at_only_when_cancelled check (
        (cancelled_at is not null) = (status = 'cancelled')
    ),
    constraint output_only_when_completed check (output is null or status = 'completed'),
    constraint remaining_steps_is_not_negative check (remaining_steps >= 0),
    constraint completed_only_without_remaining_steps check (
        status <> 'completed' or remaining_steps = 0
    )
);

create index runs_flow_slug_idx on pgflow.runs (flow_slug);
-- prune_runs walks finished runs oldest first
create index runs_finished_at_idx on pgflow.runs (finished_at) where status <> 'started';

comment on table pgflow.runs is 'One row per run: started -> completed | failed | cancelled.';

create table pgflow.step_states (
    run_id uuid not null references pgflow.runs (run_id) on delete cascade,
    flow_slug text not null,
    step_slug text not null,
    status text not null default 'created',
    remaining_deps integer not null,
    initial_tasks integer,
    remaining_tasks integer,
    output jsonb,
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
    constraint output_only_when_completed check (output is null or status = 'completed'),
    constraint remaining_deps_is_not_negative check (remaining_deps >= 0),
    constraint remaining_tasks_is_not_negative check (remaining_tasks >= 0),
    constraint remaining_tasks_within_initial check (remaining_tasks <= initial_tasks)
);

comment on table pgflow.step_states is
'One row per step of each run: created -> started -> completed | failed | skipped | cancelled.';

create table pgflow.step_tasks (
    run_id uuid not null,
    flow_slug text not null,
    step_slug text not null,
    task_index integer not null default 0,
    status text not null default 'queued',
    attempts_count integer not null default 0,
    max_attempts integer not null,
    -- the array element of a map task; single tasks assemble their input at claim time
    input jsonb,
    output jsonb,
    error_message text,
    -- when the task may be claimed: now, after a delay or backoff, or when a lease expires
    visible_at timestamptz not null,
    claimed_by uuid,
    queued_at timestamptz not null,
    started_at timestamptz,
    completed_at timestamptz,
    failed_at timestamptz,
    cancelled_at timestamptz,
    primary key (run_id, step_slug, task_index),
    foreign key (run_id, step_slug) references pgflow.step_states (run_id, step_slug)
    on delete cascade,
    constraint status_is_valid check (
        status in ('queued', 'started', 'completed', 'failed', 'cancelled')
    ),
    constraint task_index_is_not_negative check (task_index >= 0),
    constraint attempts_within_max check (attempts_count between 0 and max_attempts),
    constraint started_only_after_an_attempt check (status <> 'started' or attempts_count >= 1),
    constraint started_at_only_when_claimed check (
        (started_at is not null) = (attempts_count >= 1)
    ),
    constraint completed_at_only_when_completed check (
        (completed_at is not null) = (status = 'completed')
    ),
    constraint failed_at_only_when_failed check ((failed_at is not null) = (status = 'failed')),
    constraint cancelled_at_only_when_cancelled check (
        (cancelled_at is not null) = (status = 'cancelled')
    ),
    constraint output_only_when_completed check (output is null or status = 'completed')
);

-- the queue: only unfinished tasks are indexed, so finished history never slows claims
create index step_tasks_claimable_idx on pgflow.step_tasks (visible_at)
where status in ('queued', 'started');
-- leases on a last attempt, which claim_tasks fails when they expire; only
-- those: a claim that is not a task's last attempt updates one index less
create index step_tasks_leased_idx on pgflow.step_tasks (visible_at)
where status = 'started' and attempts_count >= max_attempts;

comment on table pgflow.step_tasks is
'The queue and the attempt history: queued -> started -> completed | failed | cancelled.';

create table pgflow.workers (
    worker_id uuid primary key,
    flow_slugs text[],
    hostname text,
    pid integer,
    started_at timestamptz not null,
    last_heartbeat_at timestamptz not null,
    stopped_at timestamptz
);

comment on table pgflow.workers is 'Workers that registered, with their last heartbeat.';
