-- The steps each worker serves, and which registration of their flow it
-- verified (serve_steps). claim_tasks gives a worker with rows here only
-- tasks of those steps, and only while the flow is still that registration.
create table pgflow.worker_steps (
    worker_id uuid not null references pgflow.workers (worker_id) on delete cascade,
    flow_slug text not null,
    step_slug text not null,
    flow_id bigint not null,
    primary key (worker_id, flow_slug, step_slug)
);

comment on table pgflow.worker_steps is
'Steps a worker serves, fenced to the flow registration (flows.flow_id) it verified.';
