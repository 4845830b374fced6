-- The sliding-window log of a rate-limited step: one row per task start, per
-- bucket. claim_tasks counts the rows of the last rate_period seconds under
-- the bucket's advisory lock and prunes older ones as it goes, so "at most
-- rate_limit starts in any window of rate_period seconds" holds exactly.
create table pgflow.task_starts (
    flow_slug text not null,
    step_slug text not null,
    bucket text not null,
    started_at timestamptz not null,
    foreign key (flow_slug, step_slug) references pgflow.steps (flow_slug, step_slug)
    on delete cascade
);

create index task_starts_bucket_idx on pgflow.task_starts (
    flow_slug, step_slug, bucket, started_at
);
-- pruning: starts older than the longest rate period
create index task_starts_started_at_idx on pgflow.task_starts (started_at);

comment on table pgflow.task_starts is
'Recent task starts of rate-limited steps (a sliding-window log, pruned by claim_tasks).';
