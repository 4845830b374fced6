-- A step of a run, named with its flow (which the deps table is keyed by).
create type pgflow.step_key as (
    run_id uuid,
    flow_slug text,
    step_slug text
);
