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
