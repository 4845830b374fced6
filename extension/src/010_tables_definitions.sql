-- Definition tables: the immutable shape of each flow.

create table pgflow.flows (
    flow_slug text primary key,
    max_attempts integer not null,
    base_delay integer not null,
    timeout integer not null,
    -- the declaration as given; kept beside the columns so it reads as one value
    options jsonb not null,
    created_at timestamptz not null default pg_catalog.now(),
    constraint flow_slug_is_valid check (
        flow_slug ~ '^[A-Za-z_][A-Za-z0-9_]*$' and length(flow_slug) <= 128
    ),
    constraint max_attempts_is_positive check (max_attempts >= 1),
    constraint base_delay_is_not_negative check (base_delay >= 0),
    constraint timeout_is_positive check (timeout >= 1)
);

comment on table pgflow.flows is
'Registered flows. Immutable once a run exists: a new shape needs a new flow_slug.';

create table pgflow.steps (
    flow_slug text not null references pgflow.flows (flow_slug),
    step_slug text not null,
    step_index integer not null,
    step_type text not null default 'single',
    deps_count integer not null default 0,
    -- effective values (the flow's defaults applied); the declaration is in options
    max_attempts integer not null,
    base_delay integer not null,
    timeout integer not null,
    delay_seconds integer not null default 0,
    run_if jsonb,
    run_unless jsonb,
    when_unmet text not null default 'skip',
    when_exhausted text not null default 'fail',
    options jsonb not null,
    conditions jsonb not null,
    created_at timestamptz not null default pg_catalog.now(),
    primary key (flow_slug, step_slug),
    constraint step_index_is_not_negative check (step_index >= 0),
    constraint step_slug_is_valid check (
        step_slug ~ '^[A-Za-z_][A-Za-z0-9_]*$'
        and length(step_slug) <= 128
        and step_slug <> 'run'
    ),
    constraint step_type_is_valid check (step_type in ('single', 'map')),
    constraint map_step_has_at_most_one_dep check (step_type = 'single' or deps_count <= 1),
    constraint max_attempts_is_positive check (max_attempts >= 1),
    constraint base_delay_is_not_negative check (base_delay >= 0),
    constraint timeout_is_positive check (timeout >= 1),
    constraint delay_seconds_is_not_negative check (delay_seconds >= 0),
    constraint when_unmet_is_valid check (when_unmet in ('fail', 'skip', 'skip-cascade')),
    constraint when_exhausted_is_valid check (
        when_exhausted in ('fail', 'skip', 'skip-cascade')
    ),
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

create table pgflow.deps (
    flow_slug text not null,
    dep_slug text not null,
    step_slug text not null,
    created_at timestamptz not null default pg_catalog.now(),
    primary key (flow_slug, step_slug, dep_slug),
    foreign key (flow_slug, dep_slug) references pgflow.steps (flow_slug, step_slug),
    foreign key (flow_slug, step_slug) references pgflow.steps (flow_slug, step_slug),
    constraint dep_is_not_self check (dep_slug <> step_slug)
);

-- dependents of a step: walked on every step completion
create index deps_dependents_idx on pgflow.deps (flow_slug, dep_slug);

comment on table pgflow.deps is 'Edges of each flow: step_slug depends on dep_slug.';
