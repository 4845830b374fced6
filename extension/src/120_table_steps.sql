create table pgflow.steps (
    flow_slug text not null references pgflow.flows (flow_slug),
    step_slug text not null,
    step_index integer not null,
    step_type text not null,
    deps_count integer not null default 0,
    -- effective values (the flow's defaults applied); the declaration is in options
    max_attempts integer not null,
    base_delay integer not null,
    timeout integer not null,
    delay_seconds integer not null default 0,
    run_if jsonb,
    run_unless jsonb,
    when_unmet text not null,
    when_exhausted text not null,
    options jsonb not null,
    conditions jsonb not null,
    created_at timestamptz not null default pg_catalog.now(),
    -- the longest one attempt may run, however often its lease is extended
    -- (null: no limit); the lease itself (timeout) is the heartbeat timeout
    execution_timeout integer,
    -- paths into the step's output held sealed ('$': the whole output; null:
    -- none); part of the shape
    secret_output text[],
    -- the largest task output (jsonb bytes) of this step (null: the flow's);
    -- operational, not part of the shape
    max_output_bytes integer,
    primary key (flow_slug, step_slug),
    constraint step_index_is_not_negative check (step_index >= 0),
    constraint step_slug_is_valid check (
        pgflow.slug_is_valid(step_slug)
        and not pgflow.vocabulary() -> 'reserved_step_slugs' ? step_slug
    ),
    constraint step_type_is_valid check (pgflow.vocabulary() -> 'step_types' ? step_type),
    constraint map_step_has_at_most_one_dep check (step_type = 'single' or deps_count <= 1),
    constraint max_attempts_is_positive check (max_attempts >= 1),
    constraint base_delay_is_not_negative check (base_delay >= 0),
    constraint timeout_is_positive check (timeout >= 1),
    constraint execution_timeout_is_positive check (execution_timeout >= 1),
    constraint delay_seconds_is_not_negative check (delay_seconds >= 0),
    constraint when_unmet_is_valid check (pgflow.vocabulary() -> 'policies' ? when_unmet),
    constraint when_exhausted_is_valid check (pgflow.vocabulary() -> 'policies' ? when_exhausted),
    constraint run_if_is_an_object check (run_if is null or jsonb_typeof(run_if) = 'object'),
    constraint run_unless_is_an_object check (
        run_unless is null or jsonb_typeof(run_unless) = 'object'
    )
);

-- Unique per flow, and partial on purpose (the predicate always holds, see the
-- check above): a plain index led by flow_slug ties with the primary key in
-- generic plans made while the table is small, and a plan that picked it would
-- walk a flow's every step per lookup, foreign key checks included (quadratic
-- deploys). Only a query that states step_index >= 0 can use this one.
create unique index step_index_is_unique on pgflow.steps (flow_slug, step_index)
where step_index >= 0;

comment on table pgflow.steps is
'Steps of each flow in registration order. Scalar option columns hold effective values.';
