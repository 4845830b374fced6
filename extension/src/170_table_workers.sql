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
