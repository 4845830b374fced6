-- Definition tables: the immutable shape of each flow.

create table pgflow.flows (
    flow_slug text primary key,
    max_attempts integer not null,
    base_delay integer not null,
    timeout integer not null,
    -- the declaration as given; kept beside the columns so it reads as one value
    options jsonb not null,
    created_at timestamptz not null default pg_catalog.now(),
    -- this registration of the slug: a flow dropped and registered again
    -- (drop_flow, development only) gets a new one, which fences workers
    -- that verified the old definition (serve_steps, claim_tasks)
    flow_id bigint generated always as identity,
    -- when the flow stopped taking new runs (retire_flow); null while active
    retired_at timestamptz,
    -- paths into the run input whose values the database only ever holds
    -- sealed by a client-side codec (null: none); part of the shape
    secret_input text[],
    -- the largest task output (jsonb bytes) this flow's steps may store (null:
    -- the vocabulary's default); operational, not part of the shape
    max_output_bytes integer,
    constraint flow_slug_is_valid check (pgflow.slug_is_valid(flow_slug)),
    constraint flow_id_is_unique unique (flow_id),
    constraint max_attempts_is_positive check (max_attempts >= 1),
    constraint base_delay_is_not_negative check (base_delay >= 0),
    constraint timeout_is_positive check (timeout >= 1)
);

comment on table pgflow.flows is
'Registered flows. Immutable once a run exists: a new shape needs a new flow_slug.';
