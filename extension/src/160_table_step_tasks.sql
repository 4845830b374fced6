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
    -- the run's priority (start_flow): higher is claimed first
    priority integer not null default 0,
    -- the flow-control bucket of a task of a limited step (pgflow.step_limits):
    -- the JSON text of its concurrency_key value, '' for the step's one shared
    -- bucket (no key, or the key is missing or null in the input); null when
    -- the step has no limits, which keeps claim_tasks on its fast path
    limit_bucket text,
    primary key (run_id, step_slug, task_index),
    foreign key (run_id, step_slug) references pgflow.step_state_rows (run_id, step_slug)
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

-- the queue: only unfinished tasks are indexed, so finished history never
-- slows claims; claim order is priority first, so a high-priority task is
-- claimed next without reading a backlog of lower ones. Tasks of
-- flow-controlled steps (limit_bucket set) have their own queue below, so a
-- large backlog held back by a limit is never in the way of other tasks.
create index step_tasks_claim_order_idx on pgflow.step_tasks (priority desc, visible_at)
where status in ('queued', 'started') and limit_bucket is null;
-- the queue of flow-controlled tasks, per bucket in claim order: claim_tasks
-- visits each bucket with room and takes only its first tasks
create index step_tasks_bucket_queue_idx on pgflow.step_tasks (
    flow_slug, step_slug, limit_bucket, priority desc, visible_at
)
where status in ('queued', 'started') and limit_bucket is not null;
-- when the next flow-controlled task becomes visible (next_task_visible_at)
create index step_tasks_bucket_visible_idx on pgflow.step_tasks (visible_at)
where status in ('queued', 'started') and limit_bucket is not null;
-- the leases of limited steps, oldest first: claim_tasks looks for expired
-- ones on every flow-controlled claim, and the index above would walk the
-- whole queued backlog to find them
create index step_tasks_bucket_leases_idx on pgflow.step_tasks (visible_at)
where status = 'started' and limit_bucket is not null;
-- the started tasks of limited steps, counted per bucket by claim_tasks
create index step_tasks_limited_idx on pgflow.step_tasks (flow_slug, step_slug, limit_bucket)
where status = 'started' and limit_bucket is not null;
-- leases on a last attempt, which claim_tasks fails when they expire; only
-- those: a claim that is not a task's last attempt updates one index less
create index step_tasks_leased_idx on pgflow.step_tasks (visible_at)
where status = 'started' and attempts_count >= max_attempts;

comment on table pgflow.step_tasks is
'The queue and the attempt history: queued -> started -> completed | failed | cancelled.';
