-- Flow control of a step (issue 13): operations, not shape. A row exists only
-- for a step with at least one limit; limits change on a live flow
-- (pgflow.set_step_limits, or add_step run again) without a new flow slug and
-- never enter the shape hash. A task of a limited step carries its bucket in
-- step_tasks.limit_bucket, which claim_tasks counts per (flow, step, bucket).
create table pgflow.step_limits (
    flow_slug text not null,
    step_slug text not null,
    -- at most this many tasks of the step (per key value) started at once
    concurrency integer,
    -- a path into the task input; the limits then apply per distinct value
    concurrency_key text[],
    -- at most rate_limit task starts in any window of rate_period seconds
    rate_limit integer,
    rate_period integer,
    updated_at timestamptz not null,
    primary key (flow_slug, step_slug),
    foreign key (flow_slug, step_slug) references pgflow.steps (flow_slug, step_slug)
    on delete cascade,
    constraint concurrency_is_positive check (concurrency > 0),
    constraint rate_limit_is_positive check (rate_limit > 0),
    constraint rate_period_is_positive check (rate_period > 0),
    constraint rate_limit_with_period check ((rate_limit is null) = (rate_period is null)),
    constraint concurrency_key_is_a_path check (
        concurrency_key is null or (
            pg_catalog.cardinality(concurrency_key) > 0
            and pg_catalog.array_ndims(concurrency_key) = 1
            and pg_catalog.array_position(concurrency_key, null) is null
        )
    ),
    constraint some_limit check (concurrency is not null or rate_limit is not null)
);

comment on table pgflow.step_limits is
'Flow control per step (concurrency, concurrency_key, rate_limit per rate_period): '
'operations, not shape.';
