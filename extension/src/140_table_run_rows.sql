-- Run state tables. The status columns are a state machine; the named checks
-- keep every timestamp and payload consistent with the status, whatever code
-- wrote the row.
--
-- The stored part of a run: every column of pgflow.runs but its output, which
-- lives in pgflow.step_tasks (the one place an output is stored) and is
-- derived by the view pgflow.runs. The engine writes and locks this table;
-- readers use the view.
create table pgflow.run_rows (
    run_id uuid primary key default gen_random_uuid(),
    flow_slug text not null references pgflow.flows (flow_slug),
    status text not null default 'started',
    input jsonb not null,
    remaining_steps integer not null,
    error_message text,
    started_at timestamptz not null,
    completed_at timestamptz,
    failed_at timestamptz,
    cancelled_at timestamptz,
    finished_at timestamptz generated always as (
        coalesce(completed_at, failed_at, cancelled_at)
    ) stored,
    -- how many times retry_run resumed or re-ran the run, and when it last did
    retry_count integer not null default 0,
    retried_at timestamptz,
    -- the caller's trace context (W3C traceparent/tracestate), handed to each
    -- task's handler so its spans join the caller's trace; null without one
    trace_context jsonb,
    -- start_flow's priority, copied to every task of the run: higher is claimed first
    priority integer not null default 0,
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
    constraint remaining_steps_is_not_negative check (remaining_steps >= 0),
    constraint retried_at_only_when_retried check ((retried_at is not null) = (retry_count > 0)),
    constraint trace_context_is_an_object check (
        trace_context is null or pg_catalog.jsonb_typeof(trace_context) = 'object'
    ),
    constraint completed_only_without_remaining_steps check (
        status <> 'completed' or remaining_steps = 0
    )
);

create index run_rows_flow_slug_idx on pgflow.run_rows (flow_slug);
-- prune_runs walks finished runs oldest first
create index run_rows_finished_at_idx on pgflow.run_rows (finished_at) where status <> 'started';

comment on table pgflow.run_rows is
'The runs without their outputs: read them through the view pgflow.runs.';
