-- FROZEN: pgflow 0.1.0 as released. Never edit this file.
\echo Use "create extension pgflow" to load this file. \quit

-- source: extension/header.sql
-- pgflow: a workflow (DAG) engine that lives inside PostgreSQL.
--
-- Map of the schema
--   definitions   flows -< steps -< deps            immutable once a run exists
--   run state     runs -< step_states -< step_tasks  one row per run / step / task
--   queue         step_tasks itself: status queued|started and visible_at
--                 (a retry's backoff, a step's delay or a claim's lease expiry)
--   workers       workers: registration and heartbeats, for operators
--
-- Call flow
--   create_flow, add_step         register a shape (validated, cycle-free)
--   start_flow                    runs + step_states, then root steps start:
--                                 tasks are queued (or steps skip / complete at once)
--   claim_tasks                   lease up to n visible tasks (for update skip locked);
--                                 an expired lease is claimable again and counts an attempt
--   complete_task(s)              task -> step -> dependents -> run, in one transaction
--   fail_task                     backoff retry, or the when_exhausted policy
--   cancel_run, prune_runs        operator paths
--
-- Locking order, everywhere: runs row (key share to complete, update to fail or
-- cancel), then step_tasks rows, then step_states rows along the DAG's edges,
-- then the runs row again for the counter. Batches lock each table's rows in
-- key order, so concurrent batches cannot deadlock. Notifications:
-- pgflow_tasks when tasks become claimable, pgflow_runs when a run finishes.
--
-- Plans: the entry points a worker calls per batch set plan_cache_mode =
-- force_generic_plan. Their statements take arrays and parameters whose custom
-- plans cost more to make than to run (measured: complete_tasks of one task
-- fell from 3.0 to 1.2 ms). A generic plan is made once per session, perhaps
-- while the tables are still empty and unanalyzed, when a sequential scan looks
-- free; every statement here is a key lookup, so these functions also set
-- enable_seqscan = off (claim_tasks and add_step say what else they need).


-- source: extension/src/010_tables_definitions.sql
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


-- source: extension/src/020_tables_runs.sql
-- Run state tables. The status columns are a state machine; the named checks
-- keep every timestamp and payload consistent with the status, whatever code
-- wrote the row.

create table pgflow.runs (
    run_id uuid primary key default gen_random_uuid(),
    flow_slug text not null references pgflow.flows (flow_slug),
    status text not null default 'started',
    input jsonb not null,
    output jsonb,
    remaining_steps integer not null,
    error_message text,
    started_at timestamptz not null,
    completed_at timestamptz,
    failed_at timestamptz,
    cancelled_at timestamptz,
    finished_at timestamptz generated always as (
        coalesce(completed_at, failed_at, cancelled_at)
    ) stored,
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
    constraint output_only_when_completed check (output is null or status = 'completed'),
    constraint remaining_steps_is_not_negative check (remaining_steps >= 0),
    constraint completed_only_without_remaining_steps check (
        status <> 'completed' or remaining_steps = 0
    )
);

create index runs_flow_slug_idx on pgflow.runs (flow_slug);
-- prune_runs walks finished runs oldest first
create index runs_finished_at_idx on pgflow.runs (finished_at) where status <> 'started';

comment on table pgflow.runs is 'One row per run: started -> completed | failed | cancelled.';

create table pgflow.step_states (
    run_id uuid not null references pgflow.runs (run_id) on delete cascade,
    flow_slug text not null,
    step_slug text not null,
    status text not null default 'created',
    remaining_deps integer not null,
    initial_tasks integer,
    remaining_tasks integer,
    output jsonb,
    error_message text,
    skip_reason text,
    created_at timestamptz not null,
    started_at timestamptz,
    completed_at timestamptz,
    failed_at timestamptz,
    skipped_at timestamptz,
    cancelled_at timestamptz,
    primary key (run_id, step_slug),
    foreign key (flow_slug, step_slug) references pgflow.steps (flow_slug, step_slug),
    constraint status_is_valid check (
        status in ('created', 'started', 'completed', 'failed', 'skipped', 'cancelled')
    ),
    constraint started_at_only_when_started check (
        (started_at is not null) or status in ('created', 'skipped', 'cancelled', 'failed')
    ),
    constraint completed_at_only_when_completed check (
        (completed_at is not null) = (status = 'completed')
    ),
    constraint failed_at_only_when_failed check ((failed_at is not null) = (status = 'failed')),
    constraint skipped_at_only_when_skipped check (
        (skipped_at is not null) = (status = 'skipped')
    ),
    constraint skip_reason_only_when_skipped check (
        (skip_reason is not null) = (status = 'skipped')
    ),
    constraint skip_reason_is_valid check (
        skip_reason in ('condition_unmet', 'dependency_skipped', 'retries_exhausted')
    ),
    constraint cancelled_at_only_when_cancelled check (
        (cancelled_at is not null) = (status = 'cancelled')
    ),
    constraint output_only_when_completed check (output is null or status = 'completed'),
    constraint remaining_deps_is_not_negative check (remaining_deps >= 0),
    constraint remaining_tasks_is_not_negative check (remaining_tasks >= 0),
    constraint remaining_tasks_within_initial check (remaining_tasks <= initial_tasks)
);

comment on table pgflow.step_states is
'One row per step of each run: created -> started -> completed | failed | skipped | cancelled.';

create table pgflow.step_tasks (
    run_id uuid not null,
    flow_slug text not null,
    step_slug text not null,
    task_index integer not null default 0,
    status text not null default 'queued',
    attempts_count integer not null default 0,
    max_attempts integer not null,
    -- the array element of a map task; single tasks assemble their input at claim time
    input jsonb,
    output jsonb,
    error_message text,
    -- when the task may be claimed: now, after a delay or backoff, or when a lease expires
    visible_at timestamptz not null,
    claimed_by uuid,
    queued_at timestamptz not null,
    started_at timestamptz,
    completed_at timestamptz,
    failed_at timestamptz,
    cancelled_at timestamptz,
    primary key (run_id, step_slug, task_index),
    foreign key (run_id, step_slug) references pgflow.step_states (run_id, step_slug)
    on delete cascade,
    constraint status_is_valid check (
        status in ('queued', 'started', 'completed', 'failed', 'cancelled')
    ),
    constraint task_index_is_not_negative check (task_index >= 0),
    constraint attempts_within_max check (attempts_count between 0 and max_attempts),
    constraint started_only_after_an_attempt check (status <> 'started' or attempts_count >= 1),
    constraint started_at_only_when_claimed check (
        (started_at is not null) = (attempts_count >= 1)
    ),
    constraint completed_at_only_when_completed check (
        (completed_at is not null) = (status = 'completed')
    ),
    constraint failed_at_only_when_failed check ((failed_at is not null) = (status = 'failed')),
    constraint cancelled_at_only_when_cancelled check (
        (cancelled_at is not null) = (status = 'cancelled')
    ),
    constraint output_only_when_completed check (output is null or status = 'completed')
);

-- the queue: only unfinished tasks are indexed, so finished history never slows claims
create index step_tasks_claimable_idx on pgflow.step_tasks (visible_at)
where status in ('queued', 'started');
-- leases on a last attempt, which claim_tasks fails when they expire; only
-- those: a claim that is not a task's last attempt updates one index less
create index step_tasks_leased_idx on pgflow.step_tasks (visible_at)
where status = 'started' and attempts_count >= max_attempts;

comment on table pgflow.step_tasks is
'The queue and the attempt history: queued -> started -> completed | failed | cancelled.';

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


-- source: extension/src/030_clock_and_validation.sql
-- The clock seam: every timestamp pgflow writes comes from here, so tests can
-- move time (set pgflow.fake_now = '...') instead of sleeping through backoff,
-- leases and delays.
-- No "set search_path" here, unlike everywhere else: it would stop the planner
-- from inlining this hot function; every name in it is schema-qualified.
create function pgflow.now()
returns timestamptz
language sql
stable
as $$
    select coalesce(
        nullif(pg_catalog.current_setting('pgflow.fake_now', true), '')::timestamptz,
        pg_catalog.now()
    )
$$;

-- Slugs become JSON keys, notification payloads and Python identifiers, so they
-- are kept identifier-like and bounded.
create function pgflow.check_slug(slug text, kind text, flow_slug text, step_slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_slug.slug is null
        or check_slug.slug !~ '^[A-Za-z_][A-Za-z0-9_]*$'
        or pg_catalog.length(check_slug.slug) > 128 then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'invalid %s slug %L (flow %L%s)',
                check_slug.kind, check_slug.slug, check_slug.flow_slug,
                case when check_slug.step_slug is not null
                    then pg_catalog.format(', step %L', check_slug.step_slug) else '' end
            ),
            hint = 'slugs start with a letter or underscore, contain only letters, digits '
            || 'and underscores, and are at most 128 characters long';
    end if;
    if check_slug.kind = 'step' and check_slug.slug = 'run' then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'step slug "run" is reserved (flow %L): the run input is passed under that key',
                check_slug.flow_slug
            );
    end if;
end;
$$;

-- Retry delay after a failed attempt: exponential, capped at a day (or at
-- base_delay when that is larger) so late attempts never wait for ages; the
-- exponent stops at 30, past the cap for any base_delay >= 1.
create function pgflow.retry_delay(base_delay integer, attempt integer)
returns integer
language sql
immutable
as $$
    select least(
        retry_delay.base_delay::numeric * pg_catalog.power(2::numeric, least(greatest(retry_delay.attempt - 1, 0), 30)),
        greatest(retry_delay.base_delay, 86400)
    )::integer
$$;

-- "<name>: <database> in the database, <given> given", or null when equal.
create function pgflow.describe_difference(name text, in_database jsonb, given jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
    select case
        when describe_difference.in_database is distinct from describe_difference.given
            then pg_catalog.format(
                '%s: %s in the database, %s given',
                describe_difference.name,
                coalesce(describe_difference.in_database::text, 'null'),
                coalesce(describe_difference.given::text, 'null')
            )
    end
$$;

-- Rejects an option below its minimum, naming the flow and step it belongs to.
create function pgflow.check_option(
    flow_slug text, step_slug text, name text, value integer, minimum integer
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_option.value < check_option.minimum then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be at least %s, got %s (flow %L%s)',
                check_option.name, check_option.minimum, check_option.value,
                check_option.flow_slug,
                case when check_option.step_slug is not null
                    then pg_catalog.format(', step %L', check_option.step_slug) else '' end
            );
    end if;
end;
$$;

-- The errors for a run or a task a call names but that does not exist, worded
-- once for every entry point that can raise them.
create function pgflow.raise_unknown_run(run_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    raise exception using
        errcode = 'PF010',
        message = pg_catalog.format('run %s does not exist', raise_unknown_run.run_id);
end;
$$;

create function pgflow.raise_unknown_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    raise exception using
        errcode = 'PF004',
        message = pg_catalog.format(
            'task %s of step %L in run %s does not exist',
            raise_unknown_task.task_index, raise_unknown_task.step_slug, raise_unknown_task.run_id
        );
end;
$$;


-- source: extension/src/040_create_flow.sql
-- Registers a flow. Calling it again with the same options is a no-op, so a
-- migration can be applied twice; different options are a shape mismatch,
-- because flows are immutable and a new shape needs a new slug.
create function pgflow.create_flow(
    flow_slug text,
    max_attempts integer default 3,
    base_delay integer default 1,
    timeout integer default 60
)
returns pgflow.flows
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_flow pgflow.flows;
    v_max_attempts integer := coalesce(create_flow.max_attempts, 3);
    v_base_delay integer := coalesce(create_flow.base_delay, 1);
    v_timeout integer := coalesce(create_flow.timeout, 60);
    v_diff text[];
begin
    perform pgflow.check_slug(create_flow.flow_slug, 'flow', create_flow.flow_slug, null);
    perform pgflow.check_option(create_flow.flow_slug, null, 'max_attempts', v_max_attempts, 1);
    perform pgflow.check_option(create_flow.flow_slug, null, 'base_delay', v_base_delay, 0);
    perform pgflow.check_option(create_flow.flow_slug, null, 'timeout', v_timeout, 1);

    insert into pgflow.flows as f (flow_slug, max_attempts, base_delay, timeout, options)
    values (
        create_flow.flow_slug, v_max_attempts, v_base_delay, v_timeout,
        pg_catalog.jsonb_build_object(
            'max_attempts', v_max_attempts, 'base_delay', v_base_delay, 'timeout', v_timeout
        )
    )
    on conflict on constraint flows_pkey do nothing
    returning f.* into v_flow;
    if found then
        return v_flow;
    end if;

    select f.* into v_flow from pgflow.flows as f where f.flow_slug = create_flow.flow_slug;
    v_diff := array_remove(array[
        pgflow.describe_difference('max_attempts', to_jsonb(v_flow.max_attempts), to_jsonb(v_max_attempts)),
        pgflow.describe_difference('base_delay', to_jsonb(v_flow.base_delay), to_jsonb(v_base_delay)),
        pgflow.describe_difference('timeout', to_jsonb(v_flow.timeout), to_jsonb(v_timeout))
    ], null);
    if cardinality(v_diff) > 0 then
        raise exception using
            errcode = 'PF008',
            message = pg_catalog.format(
                'flow %L already exists with different options: %s',
                create_flow.flow_slug, pg_catalog.array_to_string(v_diff, '; ')
            ),
            hint = 'flows are immutable: register the new shape under a new flow_slug';
    end if;
    return v_flow;
end;
$$;


-- source: extension/src/050_add_step.sql
-- Adds a step to a flow. Dependencies must already exist, so steps arrive in
-- topological order and a new step can never close a cycle; re-adding an
-- existing step is a no-op when identical, a cycle error when its new deps
-- would loop back to it (the seeds' pitfall 1.3), and a shape mismatch
-- otherwise. A flow that has runs takes no new steps: its shape is frozen.
create function pgflow.add_step(
    flow_slug text,
    step_slug text,
    deps text[] default '{}',
    max_attempts integer default null,
    base_delay integer default null,
    timeout integer default null,
    delay_seconds integer default 0,
    step_type text default 'single',
    run_if jsonb default null,
    run_unless jsonb default null,
    when_unmet text default 'skip',
    when_exhausted text default 'fail'
)
returns pgflow.steps
language plpgsql
volatile
security definer
set search_path = ''
-- every lookup here is a key lookup; a generic plan made while the tables were
-- small must not keep scanning or hashing them as they grow during a large deploy
set enable_seqscan = off
set enable_hashjoin = off
set enable_mergejoin = off
as $$
declare
    v_flow pgflow.flows;
    v_step pgflow.steps;
    v_deps text[] := coalesce(add_step.deps, '{}');
    v_step_type text := coalesce(add_step.step_type, 'single');
    v_delay_seconds integer := coalesce(add_step.delay_seconds, 0);
    v_when_unmet text := coalesce(add_step.when_unmet, 'skip');
    v_when_exhausted text := coalesce(add_step.when_exhausted, 'fail');
    v_options jsonb;
    v_conditions jsonb;
    v_bad text[];
    v_cycle text[];
    v_diff text[];
begin
    -- serialises registrations of one flow (step_index) and waits for start_flow
    select f.* into v_flow
    from pgflow.flows as f
    where f.flow_slug = add_step.flow_slug
    for update;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format(
                'flow %L does not exist (adding step %L)', add_step.flow_slug, add_step.step_slug
            ),
            hint = 'call pgflow.create_flow first';
    end if;

    perform pgflow.check_slug(add_step.step_slug, 'step', add_step.flow_slug, add_step.step_slug);
    perform pgflow.check_step_options(
        add_step.flow_slug, add_step.step_slug, v_deps, add_step.max_attempts,
        add_step.base_delay, add_step.timeout, v_delay_seconds, v_step_type,
        add_step.run_if, add_step.run_unless, v_when_unmet, v_when_exhausted
    );

    -- a scalar subquery, not "not exists": it stays one key lookup per dependency,
    -- where an anti join may read every step of the flow
    select array_agg(d.slug order by d.ord) into v_bad
    from unnest(v_deps) with ordinality as d (slug, ord)
    where (
        select s.step_index from pgflow.steps as s
        where s.flow_slug = add_step.flow_slug and s.step_slug = d.slug
    ) is null;
    if v_bad is not null then
        raise exception using
            errcode = 'PF003',
            message = pg_catalog.format(
                'step %L of flow %L depends on unknown step(s): %s',
                add_step.step_slug, add_step.flow_slug, pg_catalog.array_to_string(v_bad, ', ')
            ),
            hint = 'add dependencies before the steps that depend on them';
    end if;

    v_options := pg_catalog.jsonb_build_object(
        'max_attempts', add_step.max_attempts,
        'base_delay', add_step.base_delay,
        'timeout', add_step.timeout,
        'delay_seconds', v_delay_seconds,
        'when_exhausted', v_when_exhausted
    );
    v_conditions := pg_catalog.jsonb_build_object(
        'run_if', add_step.run_if,
        'run_unless', add_step.run_unless,
        'when_unmet', v_when_unmet
    );

    select s.* into v_step
    from pgflow.steps as s
    where s.flow_slug = add_step.flow_slug and s.step_slug = add_step.step_slug;
    if found then
        v_cycle := pgflow.find_cycle(add_step.flow_slug, add_step.step_slug, v_deps);
        if v_cycle is not null then
            raise exception using
                errcode = 'PF007',
                message = pg_catalog.format(
                    'step %L of flow %L cannot depend on %s: that would create a cycle %s',
                    add_step.step_slug, add_step.flow_slug, pg_catalog.quote_literal(v_cycle[2]),
                    pg_catalog.array_to_string(v_cycle, ' -> ')
                );
        end if;
        v_diff := array_remove(array[
            pgflow.describe_difference(
                'deps',
                (select coalesce(pg_catalog.jsonb_agg(d.dep_slug order by d.dep_slug collate "C"), '[]')
                 from pgflow.deps as d
                 where d.flow_slug = add_step.flow_slug and d.step_slug = add_step.step_slug),
                (select coalesce(pg_catalog.jsonb_agg(d.slug order by d.slug collate "C"), '[]')
                 from unnest(v_deps) as d (slug))
            ),
            pgflow.describe_difference('step_type', to_jsonb(v_step.step_type), to_jsonb(v_step_type))
        ] || array(
            select pgflow.describe_difference(k.key, v_step.options || v_step.conditions -> k.key,
                (v_options || v_conditions) -> k.key)
            from pg_catalog.jsonb_object_keys(v_options || v_conditions) as k (key)
            order by k.key
        ), null);
        if cardinality(v_diff) > 0 then
            raise exception using
                errcode = 'PF008',
                message = pg_catalog.format(
                    'step %L of flow %L already exists with a different definition: %s',
                    add_step.step_slug, add_step.flow_slug, pg_catalog.array_to_string(v_diff, '; ')
                ),
                hint = 'flows are immutable: register the new shape under a new flow_slug';
        end if;
        return v_step;
    end if;

    if exists (select 1 from pgflow.runs as r where r.flow_slug = add_step.flow_slug) then
        raise exception using
            errcode = 'PF012',
            message = pg_catalog.format(
                'flow %L already has runs; cannot add step %L',
                add_step.flow_slug, add_step.step_slug
            ),
            hint = 'flows are immutable once used: register the new shape under a new flow_slug';
    end if;

    insert into pgflow.steps as s (
        flow_slug, step_slug, step_index, step_type, deps_count,
        max_attempts, base_delay, timeout, delay_seconds,
        run_if, run_unless, when_unmet, when_exhausted, options, conditions
    )
    values (
        add_step.flow_slug,
        add_step.step_slug,
        (select coalesce(max(s2.step_index) + 1, 0) from pgflow.steps as s2
         where s2.flow_slug = add_step.flow_slug and s2.step_index >= 0),
        v_step_type,
        cardinality(v_deps),
        coalesce(add_step.max_attempts, v_flow.max_attempts),
        coalesce(add_step.base_delay, v_flow.base_delay),
        coalesce(add_step.timeout, v_flow.timeout),
        v_delay_seconds,
        add_step.run_if,
        add_step.run_unless,
        v_when_unmet,
        v_when_exhausted,
        v_options,
        v_conditions
    )
    returning s.* into v_step;

    insert into pgflow.deps (flow_slug, dep_slug, step_slug)
    select add_step.flow_slug, d.slug, add_step.step_slug
    from unnest(v_deps) as d (slug);

    return v_step;
end;
$$;

-- Every per-step validation that does not need the table, with errors that
-- name the flow and the step.
create function pgflow.check_step_options(
    flow_slug text, step_slug text, deps text[], max_attempts integer, base_delay integer,
    timeout integer, delay_seconds integer, step_type text, run_if jsonb, run_unless jsonb,
    when_unmet text, when_exhausted text
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_where text := pg_catalog.format('flow %L, step %L', check_step_options.flow_slug, check_step_options.step_slug);
    v_dup text[];
begin
    if array_position(check_step_options.deps, null) is not null then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('deps must not contain null (%s)', v_where);
    end if;
    perform pgflow.check_slug(d.slug, 'dependency', check_step_options.flow_slug, check_step_options.step_slug)
    from unnest(check_step_options.deps) as d (slug);
    select array_agg(d.slug order by d.slug) into v_dup
    from (select u.slug from unnest(check_step_options.deps) as u (slug) group by u.slug having count(*) > 1) as d;
    if v_dup is not null then
        raise exception using errcode = 'PF005',
            message = pg_catalog.format('duplicate dependency %s (%s)', pg_catalog.array_to_string(v_dup, ', '), v_where);
    end if;
    if check_step_options.step_slug = any(check_step_options.deps) then
        raise exception using errcode = 'PF006',
            message = pg_catalog.format('step %L of flow %L cannot depend on itself',
                check_step_options.step_slug, check_step_options.flow_slug);
    end if;
    if check_step_options.step_type not in ('single', 'map') then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('step_type must be ''single'' or ''map'', got %L (%s)',
                check_step_options.step_type, v_where);
    end if;
    if check_step_options.step_type = 'map' and cardinality(check_step_options.deps) > 1 then
        raise exception using errcode = 'PF015',
            message = pg_catalog.format('map step %L of flow %L has %s dependencies; a map step maps over the output of at most one',
                check_step_options.step_slug, check_step_options.flow_slug, cardinality(check_step_options.deps));
    end if;
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'max_attempts', check_step_options.max_attempts, 1);
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'base_delay', check_step_options.base_delay, 0);
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'timeout', check_step_options.timeout, 1);
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'delay_seconds', check_step_options.delay_seconds, 0);
    if check_step_options.run_if is not null and pg_catalog.jsonb_typeof(check_step_options.run_if) <> 'object' then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('run_if must be a JSON object, got %s (%s)',
                pg_catalog.jsonb_typeof(check_step_options.run_if), v_where);
    end if;
    if check_step_options.run_unless is not null and pg_catalog.jsonb_typeof(check_step_options.run_unless) <> 'object' then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('run_unless must be a JSON object, got %s (%s)',
                pg_catalog.jsonb_typeof(check_step_options.run_unless), v_where);
    end if;
    if check_step_options.when_unmet not in ('fail', 'skip', 'skip-cascade') then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('when_unmet must be ''fail'', ''skip'' or ''skip-cascade'', got %L (%s)',
                check_step_options.when_unmet, v_where);
    end if;
    if check_step_options.when_exhausted not in ('fail', 'skip', 'skip-cascade') then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('when_exhausted must be ''fail'', ''skip'' or ''skip-cascade'', got %L (%s)',
                check_step_options.when_exhausted, v_where);
    end if;
end;
$$;

-- A path step -> dep -> ... -> step if depending on deps would close a cycle,
-- else null. Reachability is checked first with a visited set (linear in the
-- flow's size); only when a cycle exists is one shortest path spelled out,
-- breadth first, stopping at the first hit.
create function pgflow.find_cycle(flow_slug text, step_slug text, deps text[])
returns text[]
language plpgsql
stable
set search_path = ''
as $$
begin
    if not exists (
        with recursive upward (slug) as (
            select d.slug from unnest(find_cycle.deps) as d (slug)
            union
            select e.dep_slug
            from upward as u
            join pgflow.deps as e
                on e.flow_slug = find_cycle.flow_slug and e.step_slug = u.slug
        )
        select 1 from upward as u where u.slug = find_cycle.step_slug
    ) then
        return null;
    end if;
    return (
        with recursive upward (slug, path) as (
            select d.slug, array[find_cycle.step_slug, d.slug]
            from unnest(find_cycle.deps) as d (slug)
            union all
            select e.dep_slug, u.path || e.dep_slug
            from upward as u
            join pgflow.deps as e
                on e.flow_slug = find_cycle.flow_slug and e.step_slug = u.slug
            where u.slug <> find_cycle.step_slug
        )
        select u.path from upward as u
        where u.slug = find_cycle.step_slug
        limit 1
    );
end;
$$;


-- source: extension/src/060_flow_shape.sql
-- The canonical shape of a flow: what the Python compiler hashes too. Steps and
-- deps are sorted bytewise so the registration order does not matter, and step
-- options appear as declared (null = inherit) so the shape is what was written.
create function pgflow.flow_shape(flow_slug text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'flow_slug', f.flow_slug,
        'max_attempts', f.max_attempts,
        'base_delay', f.base_delay,
        'timeout', f.timeout,
        'steps', coalesce((
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'step_slug', s.step_slug,
                'step_type', s.step_type,
                'deps', coalesce((
                    select pg_catalog.jsonb_agg(d.dep_slug order by d.dep_slug collate "C")
                    from pgflow.deps as d
                    where d.flow_slug = s.flow_slug and d.step_slug = s.step_slug
                ), '[]'::jsonb),
                'max_attempts', s.options -> 'max_attempts',
                'base_delay', s.options -> 'base_delay',
                'timeout', s.options -> 'timeout',
                'delay_seconds', s.delay_seconds,
                'run_if', s.run_if,
                'run_unless', s.run_unless,
                'when_unmet', s.when_unmet,
                'when_exhausted', s.when_exhausted
            ) order by s.step_slug collate "C")
            from pgflow.steps as s
            where s.flow_slug = f.flow_slug
        ), '[]'::jsonb)
    )
    from pgflow.flows as f
    where f.flow_slug = flow_shape.flow_slug
$$;

-- sha256 of the shape's jsonb text: the identity of a flow's shape.
create function pgflow.flow_shape_hash(flow_slug text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.encode(
        pg_catalog.sha256(pg_catalog.convert_to(pgflow.flow_shape(flow_shape_hash.flow_slug)::text, 'UTF8')),
        'hex'
    )
$$;

-- The last statement of a compiled migration: add_step cannot see steps that
-- the database has and the definition lacks, so the whole shape is compared
-- here, and a mismatch rolls back everything the migration did.
create function pgflow.verify_flow(flow_slug text, shape_hash text, step_slugs text[])
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_hash text := pgflow.flow_shape_hash(verify_flow.flow_slug);
    v_only_db text;
    v_only_given text;
begin
    if v_hash is null then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %L does not exist', verify_flow.flow_slug);
    end if;
    if v_hash = verify_flow.shape_hash then
        return;
    end if;
    select pg_catalog.string_agg(s.step_slug, ', ' order by s.step_index) into v_only_db
    from pgflow.steps as s
    where s.flow_slug = verify_flow.flow_slug
        and not s.step_slug = any(coalesce(verify_flow.step_slugs, '{}'));
    select pg_catalog.string_agg(g.slug, ', ' order by g.ord) into v_only_given
    from unnest(coalesce(verify_flow.step_slugs, '{}')) with ordinality as g (slug, ord)
    where not exists (
        select 1 from pgflow.steps as s
        where s.flow_slug = verify_flow.flow_slug and s.step_slug = g.slug
    );
    raise exception using
        errcode = 'PF008',
        message = pg_catalog.format(
            'flow %L in the database does not match this definition (database shape %s, definition %s)',
            verify_flow.flow_slug, pg_catalog.left(v_hash, 12),
            pg_catalog.left(coalesce(verify_flow.shape_hash, 'null'), 12)
        ),
        detail = pg_catalog.concat_ws(
            '; ',
            'steps only in the database: ' || v_only_db,
            'steps only in the definition: ' || v_only_given
        ),
        hint = 'flows are immutable: register the new shape under a new flow_slug';
end;
$$;

-- Development only: removes a flow, its steps and all of its runs so a changed
-- shape can be registered under the same slug. Refused unless the session
-- opted in, so a production migration cannot do it by accident.
create function pgflow.drop_flow(flow_slug text)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_runs bigint;
begin
    if coalesce(pg_catalog.current_setting('pgflow.allow_drop_flow', true), '') <> 'on' then
        raise exception using
            errcode = 'PF013',
            message = pg_catalog.format(
                'refusing to drop flow %L: drop_flow is for development only', drop_flow.flow_slug
            ),
            hint = 'run "set pgflow.allow_drop_flow = on" in this session first';
    end if;
    perform 1 from pgflow.flows as f where f.flow_slug = drop_flow.flow_slug for update;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %L does not exist', drop_flow.flow_slug);
    end if;
    with dropped as (
        delete from pgflow.runs as r where r.flow_slug = drop_flow.flow_slug returning 1
    )
    select count(*) into v_runs from dropped;
    delete from pgflow.deps as d where d.flow_slug = drop_flow.flow_slug;
    delete from pgflow.steps as s where s.flow_slug = drop_flow.flow_slug;
    delete from pgflow.flows as f where f.flow_slug = drop_flow.flow_slug;
    return v_runs;
end;
$$;


-- source: extension/src/070_step_transitions.sql
-- Internal step transitions shared by start_flow, complete_task, fail_task and
-- claim_tasks. Callers hold the run row lock first (see the header); these
-- functions lock step_states rows along the DAG's edges and leave the runs
-- row counter to settle_run, called once at the end.

-- Decrements the waiting-dependency counter of every unstarted dependent of
-- the given finished (completed or skipped) steps, given as parallel arrays;
-- returns, per run, the dependents that became ready.
create function pgflow.release_dependents_of(run_ids uuid[], flow_slugs text[], step_slugs text[])
returns table (run_id uuid, ready text[])
language plpgsql
volatile
set search_path = ''
as $$
begin
    -- in key order first: batches releasing dependents in several runs must
    -- not take them in opposite orders
    perform 1
    from pgflow.step_states as ss
    join unnest(release_dependents_of.run_ids, release_dependents_of.flow_slugs, release_dependents_of.step_slugs)
        as f (run_id, flow_slug, step_slug) on ss.run_id = f.run_id
    join pgflow.deps as d
        on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug and d.step_slug = ss.step_slug
    where ss.status = 'created'
    order by ss.run_id, ss.step_slug
    for no key update of ss;

    return query
    with finished as (
        select f.run_id, f.flow_slug, f.step_slug
        from unnest(release_dependents_of.run_ids, release_dependents_of.flow_slugs, release_dependents_of.step_slugs)
            as f (run_id, flow_slug, step_slug)
    ),
    released as (
        update pgflow.step_states as ss
        set remaining_deps = ss.remaining_deps - x.deps
        from (
            select f.run_id, d.step_slug, count(*)::integer as deps
            from finished as f
            join pgflow.deps as d on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug
            group by f.run_id, d.step_slug
        ) as x
        where ss.run_id = x.run_id
            and ss.step_slug = x.step_slug
            and ss.status = 'created'
        returning ss.run_id, ss.step_slug, ss.remaining_deps
    )
    select f.run_id, coalesce((
        select array_agg(r.step_slug order by r.step_slug)
        from released as r
        where r.run_id = f.run_id and r.remaining_deps = 0
    ), '{}')
    from finished as f
    group by f.run_id;
end;
$$;

-- The same for one finished step; returns the dependents that became ready.
create function pgflow.release_dependents(run_id uuid, flow_slug text, step_slug text)
returns text[]
language plpgsql
volatile
set search_path = ''
as $$
begin
    return (
        select r.ready
        from pgflow.release_dependents_of(
            array[release_dependents.run_id], array[release_dependents.flow_slug],
            array[release_dependents.step_slug]
        ) as r
    );
end;
$$;

-- Skips a step and everything downstream of it; returns how many steps it
-- finished. The step itself may be started (retries exhausted) or created.
create function pgflow.skip_cascade(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns integer
language sql
volatile
set search_path = ''
as $$
    with recursive downstream (slug) as (
        select skip_cascade.step_slug
        union
        select d.step_slug
        from downstream as ds
        join pgflow.deps as d on d.flow_slug = skip_cascade.flow_slug and d.dep_slug = ds.slug
    ),
    skipped as (
        update pgflow.step_states as ss
        set status = 'skipped',
            skipped_at = pgflow.now(),
            skip_reason = case
                when ss.step_slug = skip_cascade.step_slug then skip_cascade.reason
                else 'dependency_skipped'
            end,
            error_message = case
                when ss.step_slug = skip_cascade.step_slug then skip_cascade.error_message
            end
        from downstream as ds
        where ss.run_id = skip_cascade.run_id
            and ss.step_slug = ds.slug
            and ss.status in ('created', 'started')
        returning 1
    )
    select count(*)::integer from skipped
$$;

-- Skips one step (its dependents still run, without its key in their input);
-- returns the dependents that became ready.
create function pgflow.skip_step(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns text[]
language plpgsql
volatile
set search_path = ''
as $$
begin
    update pgflow.step_states as ss
    set status = 'skipped',
        skipped_at = pgflow.now(),
        skip_reason = skip_step.reason,
        error_message = skip_step.error_message
    where ss.run_id = skip_step.run_id
        and ss.step_slug = skip_step.step_slug
        and ss.status in ('created', 'started');
    return pgflow.release_dependents(skip_step.run_id, skip_step.flow_slug, skip_step.step_slug);
end;
$$;

-- Fails a step and its run: every unfinished task and step of the run is
-- cancelled so nothing of a failed run stays claimable.
create function pgflow.fail_run(run_id uuid, step_slug text, error_message text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_now timestamptz := pgflow.now();
    v_flow_slug text;
begin
    update pgflow.step_states as ss
    set status = 'failed', failed_at = v_now, error_message = fail_run.error_message
    where ss.run_id = fail_run.run_id
        and ss.step_slug = fail_run.step_slug
        and ss.status in ('created', 'started');
    perform pgflow.cancel_unfinished(fail_run.run_id, v_now);
    update pgflow.runs as r
    set status = 'failed', failed_at = v_now, error_message = fail_run.error_message
    where r.run_id = fail_run.run_id and r.status = 'started'
    returning r.flow_slug into v_flow_slug;
    if v_flow_slug is not null then
        perform pgflow.notify_run_finished(fail_run.run_id, v_flow_slug, 'failed');
    end if;
end;
$$;

-- Cancels every unfinished task and step of a run that is ending (failed or
-- cancelled), so nothing of it stays claimable. The caller holds the run row.
create function pgflow.cancel_unfinished(run_id uuid, at timestamptz)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    update pgflow.step_tasks as t
    set status = 'cancelled', cancelled_at = cancel_unfinished.at
    where t.run_id = cancel_unfinished.run_id and t.status in ('queued', 'started');
    update pgflow.step_states as ss
    set status = 'cancelled', cancelled_at = cancel_unfinished.at
    where ss.run_id = cancel_unfinished.run_id and ss.status in ('created', 'started');
end;
$$;

create function pgflow.notify_run_finished(run_id uuid, flow_slug text, status text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    perform pg_catalog.pg_notify(
        'pgflow_runs',
        pg_catalog.jsonb_build_object(
            'run_id', notify_run_finished.run_id,
            'flow_slug', notify_run_finished.flow_slug,
            'status', notify_run_finished.status
        )::text
    );
end;
$$;

-- The input object of a step: the run input under "run" and the output of
-- every completed dependency under its slug (skipped ones are absent).
create function pgflow.step_input(run_id uuid, flow_slug text, step_slug text, run_input jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    return pg_catalog.jsonb_build_object('run', step_input.run_input) || coalesce((
        select pg_catalog.jsonb_object_agg(d.dep_slug, ss.output)
        from pgflow.deps as d
        join pgflow.step_states as ss
            on ss.run_id = step_input.run_id and ss.step_slug = d.dep_slug
        where d.flow_slug = step_input.flow_slug
            and d.step_slug = step_input.step_slug
            and ss.status = 'completed'
    ), '{}'::jsonb);
end;
$$;

-- Starts the given ready steps, and whatever becomes ready because a step
-- finished at once (skipped, empty map): conditions, fan-out, delays. Returns
-- how many steps reached a final state, for settle_run.
create function pgflow.start_ready_steps(run_id uuid, ready text[])
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_run pgflow.runs;
    v_step pgflow.steps;
    v_now timestamptz := pgflow.now();
    v_finished integer := 0;
    v_ready text[] := start_ready_steps.ready;
    v_next text[];
    v_input jsonb;
    v_array jsonb;
    v_tasks integer;
    v_dep text;
begin
    if cardinality(v_ready) = 0 then
        return 0;
    end if;
    select r.* into v_run from pgflow.runs as r where r.run_id = start_ready_steps.run_id;
    while cardinality(v_ready) > 0 loop
        v_next := '{}';
        for v_step in
            select s.* from pgflow.steps as s
            where s.flow_slug = v_run.flow_slug and s.step_slug = any(v_ready)
            order by s.step_index
        loop
            -- the input object is only needed to test conditions or find a map's array
            v_dep := null;
            v_input := null;
            if v_step.step_type = 'map' and v_step.deps_count = 1 then
                select d.dep_slug into v_dep from pgflow.deps as d
                where d.flow_slug = v_step.flow_slug and d.step_slug = v_step.step_slug;
            end if;
            if v_dep is not null or v_step.run_if is not null or v_step.run_unless is not null then
                v_input := pgflow.step_input(v_run.run_id, v_run.flow_slug, v_step.step_slug, v_run.input);
            end if;

            -- a map step over a skipped dependency has nothing to map over
            if v_step.step_type = 'map' and v_dep is not null and not v_input ? v_dep then
                v_next := v_next || pgflow.skip_step(
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, 'dependency_skipped', null
                );
                v_finished := v_finished + 1;
                continue;
            end if;

            if not (
                (v_step.run_if is null or v_input @> v_step.run_if)
                and (v_step.run_unless is null or not v_input @> v_step.run_unless)
            ) then
                if v_step.when_unmet = 'skip' then
                    v_next := v_next || pgflow.skip_step(
                        v_run.run_id, v_run.flow_slug, v_step.step_slug, 'condition_unmet', null
                    );
                    v_finished := v_finished + 1;
                elsif v_step.when_unmet = 'skip-cascade' then
                    v_finished := v_finished + pgflow.skip_cascade(
                        v_run.run_id, v_run.flow_slug, v_step.step_slug, 'condition_unmet', null
                    );
                else
                    perform pgflow.fail_run(
                        v_run.run_id, v_step.step_slug,
                        pg_catalog.format(
                            'step %L of flow %L: condition unmet (run_if %s, run_unless %s)',
                            v_step.step_slug, v_step.flow_slug,
                            coalesce(v_step.run_if::text, 'null'), coalesce(v_step.run_unless::text, 'null')
                        )
                    );
                    return v_finished;
                end if;
                continue;
            end if;

            if v_step.step_type = 'map' then
                v_array := case when v_dep is null then v_run.input else v_input -> v_dep end;
                if pg_catalog.jsonb_typeof(v_array) is distinct from 'array' then
                    perform pgflow.fail_run(
                        v_run.run_id, v_step.step_slug,
                        pg_catalog.format(
                            'map step %L of flow %L expects an array from %s, got %s',
                            v_step.step_slug, v_step.flow_slug,
                            coalesce(pg_catalog.quote_literal(v_dep), 'the run input'),
                            coalesce(pg_catalog.jsonb_typeof(v_array), 'nothing')
                        )
                    );
                    return v_finished;
                end if;
                v_tasks := pg_catalog.jsonb_array_length(v_array);
                if v_tasks = 0 then
                    update pgflow.step_states as ss
                    set status = 'completed', output = '[]'::jsonb, initial_tasks = 0,
                        remaining_tasks = 0, started_at = v_now, completed_at = v_now
                    where ss.run_id = v_run.run_id and ss.step_slug = v_step.step_slug;
                    v_next := v_next || pgflow.release_dependents(
                        v_run.run_id, v_run.flow_slug, v_step.step_slug
                    );
                    v_finished := v_finished + 1;
                    continue;
                end if;
                insert into pgflow.step_tasks (
                    run_id, flow_slug, step_slug, task_index, max_attempts, input,
                    visible_at, queued_at
                )
                select v_run.run_id, v_run.flow_slug, v_step.step_slug, (e.ord - 1)::integer,
                    v_step.max_attempts, e.element,
                    v_now + pg_catalog.make_interval(secs => v_step.delay_seconds), v_now
                from pg_catalog.jsonb_array_elements(v_array) with ordinality as e (element, ord);
            else
                v_tasks := 1;
                insert into pgflow.step_tasks (
                    run_id, flow_slug, step_slug, task_index, max_attempts,
                    visible_at, queued_at
                )
                values (
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, 0, v_step.max_attempts,
                    v_now + pg_catalog.make_interval(secs => v_step.delay_seconds), v_now
                );
            end if;

            update pgflow.step_states as ss
            set status = 'started', initial_tasks = v_tasks, remaining_tasks = v_tasks,
                started_at = v_now
            where ss.run_id = v_run.run_id and ss.step_slug = v_step.step_slug;
            if v_step.delay_seconds = 0 then
                perform pg_catalog.pg_notify('pgflow_tasks', v_run.flow_slug);
            end if;
        end loop;
        v_ready := v_next;
    end loop;
    return v_finished;
end;
$$;

-- Counts finished steps against their runs (parallel arrays; a run may
-- appear more than once) and completes the runs that have none left: a run's
-- output is the object of its completed leaf steps' outputs. The one place a
-- runs row is updated on the happy path, always last. Returns how many runs
-- it completed.
create function pgflow.settle_runs(run_ids uuid[], finished_steps integer[])
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_completed integer;
begin
    -- In key order, and before the update rather than by it: the statement
    -- below then starts after every concurrent completion of these runs has
    -- committed, so the output it reads for a completed run misses no leaf
    -- (tests/python/sql_concurrency/test_races.py).
    perform 1 from pgflow.runs as r
    where r.run_id = any(settle_runs.run_ids) and r.status = 'started'
    order by r.run_id
    for no key update;
    with finished as (
        select f.run_id, sum(f.steps)::integer as steps
        from unnest(settle_runs.run_ids, settle_runs.finished_steps) as f (run_id, steps)
        group by f.run_id
        having sum(f.steps) > 0
    ),
    settled as (
        update pgflow.runs as r
        set remaining_steps = r.remaining_steps - f.steps,
            status = case when r.remaining_steps = f.steps then 'completed' else r.status end,
            completed_at = case when r.remaining_steps = f.steps then pgflow.now() end,
            -- evaluated only for a run this completes
            output = case when r.remaining_steps = f.steps then coalesce((
                select pg_catalog.jsonb_object_agg(ss.step_slug, ss.output)
                from pgflow.step_states as ss
                where ss.run_id = r.run_id
                    and ss.status = 'completed'
                    and not exists (
                        select 1 from pgflow.deps as d
                        where d.flow_slug = ss.flow_slug and d.dep_slug = ss.step_slug
                    )
            ), '{}'::jsonb) end
        from finished as f
        where r.run_id = f.run_id and r.status = 'started'
        returning r.run_id, r.flow_slug, r.status
    ),
    notified as (
        select pgflow.notify_run_finished(s.run_id, s.flow_slug, 'completed')
        from settled as s
        where s.status = 'completed'
    )
    select count(*)::integer into v_completed from notified;
    return v_completed;
end;
$$;

-- The same for one run.
create function pgflow.settle_run(run_id uuid, finished_steps integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
    if settle_run.finished_steps <> 0 then
        perform pgflow.settle_runs(array[settle_run.run_id], array[settle_run.finished_steps]);
    end if;
end;
$$;


-- source: extension/src/080_start_flow.sql
-- Starts a run: one step_states row per step, then the root steps start. A
-- caller-chosen run_id is an idempotency key: starting it again returns the
-- existing run, even when two callers race.
create function pgflow.start_flow(
    flow_slug text,
    input jsonb default '{}',
    run_id uuid default null
)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_run pgflow.runs;
    v_input jsonb := coalesce(start_flow.input, '{}'::jsonb);
    v_now timestamptz := pgflow.now();
    v_steps integer;
    v_map_root text;
begin
    if start_flow.run_id is not null then
        select r.* into v_run from pgflow.runs as r where r.run_id = start_flow.run_id;
        if found then
            return pgflow.existing_run(v_run, start_flow.flow_slug);
        end if;
    end if;

    -- key share: a concurrent drop_flow waits for this run instead of orphaning it
    perform 1 from pgflow.flows as f where f.flow_slug = start_flow.flow_slug for key share;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %L does not exist', start_flow.flow_slug),
            hint = 'register it first (pgflow deploy, or its compiled migration)';
    end if;

    select count(*)::integer,
        min(s.step_slug) filter (where s.step_type = 'map' and s.deps_count = 0)
    into v_steps, v_map_root
    from pgflow.steps as s
    where s.flow_slug = start_flow.flow_slug;
    if v_steps = 0 then
        raise exception using
            errcode = 'PF016',
            message = pg_catalog.format('flow %L has no steps', start_flow.flow_slug);
    end if;
    if v_map_root is not null and pg_catalog.jsonb_typeof(v_input) <> 'array' then
        raise exception using
            errcode = 'PF011',
            message = pg_catalog.format(
                'flow %L maps step %L over the run input, which must be an array, got %s',
                start_flow.flow_slug, v_map_root, pg_catalog.jsonb_typeof(v_input)
            );
    end if;

    insert into pgflow.runs as r (run_id, flow_slug, input, remaining_steps, started_at)
    values (
        coalesce(start_flow.run_id, pg_catalog.gen_random_uuid()),
        start_flow.flow_slug, v_input, v_steps, v_now
    )
    on conflict on constraint runs_pkey do nothing
    returning r.* into v_run;
    if not found then
        -- another transaction inserted the same run_id and committed first
        select r.* into v_run from pgflow.runs as r where r.run_id = start_flow.run_id;
        return pgflow.existing_run(v_run, start_flow.flow_slug);
    end if;

    insert into pgflow.step_states (run_id, flow_slug, step_slug, remaining_deps, created_at)
    select v_run.run_id, s.flow_slug, s.step_slug, s.deps_count, v_now
    from pgflow.steps as s
    where s.flow_slug = start_flow.flow_slug;

    perform pgflow.settle_run(
        v_run.run_id,
        pgflow.start_ready_steps(
            v_run.run_id,
            array(
                select s.step_slug from pgflow.steps as s
                where s.flow_slug = start_flow.flow_slug and s.deps_count = 0
            )
        )
    );
    select r.* into v_run from pgflow.runs as r where r.run_id = v_run.run_id;
    return v_run;
end;
$$;

-- An idempotent start_flow hit an existing run: fine if it is the same flow.
create function pgflow.existing_run(run pgflow.runs, flow_slug text)
returns pgflow.runs
language plpgsql
stable
set search_path = ''
as $$
begin
    if (existing_run.run).flow_slug <> existing_run.flow_slug then
        raise exception using
            errcode = 'PF014',
            message = pg_catalog.format(
                'run %s already exists for flow %L, not for flow %L',
                (existing_run.run).run_id, (existing_run.run).flow_slug, existing_run.flow_slug
            );
    end if;
    return existing_run.run;
end;
$$;


-- source: extension/src/090_claim_tasks.sql
-- Leases up to max_tasks visible tasks to a worker for their step's timeout.
-- Lease expiry is part of the claim itself: a started task whose lease ran out
-- is visible again, and claiming it counts an attempt, so no cron job is
-- needed to recover tasks from dead workers. Tasks whose expired lease used
-- their last attempt are failed first, under the usual run-first lock order,
-- before this transaction locks any task row.
create function pgflow.claim_tasks(
    worker_id uuid,
    max_tasks integer default 10,
    flow_slugs text[] default null
)
returns table (
    run_id uuid,
    flow_slug text,
    step_slug text,
    task_index integer,
    attempt integer,
    input jsonb,
    lease_expires_at timestamptz
)
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
-- the queue's head must be read in visible_at order through the partial index,
-- whatever the statistics say: a bitmap or sequential scan (the planner's pick
-- on a young, unanalyzed table) re-reads every queued and dead entry per claim
set enable_bitmapscan = off
set enable_seqscan = off
as $$
declare
    v_now timestamptz := pgflow.now();
    v_expired record;
begin
    if claim_tasks.worker_id is null then
        raise exception using errcode = 'PF009', message = 'claim_tasks needs a worker_id';
    end if;
    if coalesce(claim_tasks.max_tasks, 0) < 1 then
        return;
    end if;

    for v_expired in
        select t.run_id, t.step_slug, t.task_index
        from pgflow.step_tasks as t
        where t.status = 'started'
            and t.visible_at <= v_now
            and t.attempts_count >= t.max_attempts
            and (claim_tasks.flow_slugs is null or t.flow_slug = any(claim_tasks.flow_slugs))
        order by t.visible_at
        limit 100
    loop
        perform pgflow.expire_task(v_expired.run_id, v_expired.step_slug, v_expired.task_index);
    end loop;

    return query
    with candidates as (
        select t.run_id, t.step_slug, t.task_index
        from pgflow.step_tasks as t
        where t.status in ('queued', 'started')
            and t.visible_at <= v_now
            and t.attempts_count < t.max_attempts
            and (claim_tasks.flow_slugs is null or t.flow_slug = any(claim_tasks.flow_slugs))
        order by t.visible_at
        limit claim_tasks.max_tasks
        for update skip locked
    ),
    claimed as (
        update pgflow.step_tasks as t
        set status = 'started',
            attempts_count = t.attempts_count + 1,
            claimed_by = claim_tasks.worker_id,
            started_at = v_now,
            visible_at = v_now + pg_catalog.make_interval(secs => s.timeout)
        from candidates as c, pgflow.steps as s
        where t.run_id = c.run_id
            and t.step_slug = c.step_slug
            and t.task_index = c.task_index
            and s.flow_slug = t.flow_slug
            and s.step_slug = t.step_slug
        returning t.run_id, t.flow_slug, t.step_slug, t.task_index, t.attempts_count,
            t.input, t.visible_at, s.step_type
    )
    select c.run_id, c.flow_slug, c.step_slug, c.task_index, c.attempts_count,
        case
            when c.step_type = 'map' then c.input
            else pgflow.step_input(c.run_id, c.flow_slug, c.step_slug, r.input)
        end,
        c.visible_at
    from claimed as c
    join pgflow.runs as r on r.run_id = c.run_id
    order by c.visible_at, c.run_id, c.step_slug, c.task_index;
end;
$$;

-- Fails a task whose lease expired on its last attempt, with its step's
-- when_exhausted policy. Rechecks everything under the locks: a late
-- complete_task may have won the race.
create function pgflow.expire_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_task pgflow.step_tasks;
begin
    perform 1 from pgflow.runs as r
    where r.run_id = expire_task.run_id and r.status = 'started'
    for update;
    if not found then
        return;
    end if;
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = expire_task.run_id
        and t.step_slug = expire_task.step_slug
        and t.task_index = expire_task.task_index
    for update;
    if v_task.status <> 'started'
        or v_task.visible_at > pgflow.now()
        or v_task.attempts_count < v_task.max_attempts then
        return;
    end if;
    perform pgflow.exhaust_task(
        v_task,
        pg_catalog.format(
            'lease expired: no result within the step timeout on attempt %s of %s',
            v_task.attempts_count, v_task.max_attempts
        )
    );
end;
$$;

-- When the next task becomes visible (null when the queue is empty), so an
-- idle worker can sleep exactly until then instead of polling hot.
create function pgflow.next_task_visible_at(flow_slugs text[] default null)
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
    select t.visible_at
    from pgflow.step_tasks as t
    where t.status in ('queued', 'started')
        and (next_task_visible_at.flow_slugs is null or t.flow_slug = any(next_task_visible_at.flow_slugs))
    order by t.visible_at
    limit 1
$$;


-- source: extension/src/100_complete_task.sql
-- Records a task's result. Exactly once: a finished task, or a task of a run
-- that is no longer started, is left as it is and returned. A call naming an
-- older attempt is still accepted while the task is unfinished, because its
-- result is valid; the current holder's later call is then the no-op.
create function pgflow.complete_task(
    run_id uuid,
    step_slug text,
    output jsonb,
    task_index integer default 0,
    attempt integer default null
)
returns pgflow.step_tasks
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_task pgflow.step_tasks;
begin
    -- one completion path for one task and for many: a batch of one
    perform pgflow.complete_tasks(
        array[complete_task.run_id], array[complete_task.step_slug], array[complete_task.output],
        array[complete_task.task_index], array[complete_task.attempt]
    );
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = complete_task.run_id
        and t.step_slug = complete_task.step_slug
        and t.task_index = coalesce(complete_task.task_index, 0);
    return v_task;
end;
$$;

-- Completes many tasks in one transaction with a fixed number of statements,
-- whatever the batch size: one commit and one pass per table for the whole
-- batch is how a queue beats one-commit-per-task. Returns how many tasks
-- changed state.
--
-- Rows are locked in key order, table by table, in the order every transition
-- follows (runs, step_tasks, step_states, runs again), so concurrent batches
-- cannot deadlock; the statement after a lock sees the latest committed rows.
create function pgflow.complete_tasks(
    run_ids uuid[],
    step_slugs text[],
    outputs jsonb[],
    task_indexes integer[] default null,
    attempts integer[] default null
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_count integer := cardinality(complete_tasks.run_ids);
    v_now timestamptz := pgflow.now();
    v_bad record;
    -- the batch, deduplicated and sorted by task key
    v_run_ids uuid[];
    v_step_slugs text[];
    v_task_indexes integer[];
    v_outputs jsonb[];
    -- the steps whose last task this batch completed and that have dependents
    v_done_runs uuid[];
    v_done_flows text[];
    v_done_steps text[];
    v_changed integer;
    v_missing record;
    v_found integer;
    -- the tasks of the batch that are still unfinished
    v_open_runs uuid[];
    v_open_steps text[];
    v_open_indexes integer[];
    v_open_outputs jsonb[];
    v_ready record;
    v_map_runs uuid[];
    v_map_steps text[];
    -- per run, how many of its steps finished (a run may appear more than once)
    v_settle_runs uuid[];
    v_settle_counts integer[];
begin
    if cardinality(complete_tasks.step_slugs) is distinct from v_count
        or cardinality(complete_tasks.outputs) is distinct from v_count
        or (complete_tasks.task_indexes is not null and cardinality(complete_tasks.task_indexes) <> v_count)
        or (complete_tasks.attempts is not null and cardinality(complete_tasks.attempts) <> v_count) then
        raise exception using
            errcode = 'PF009',
            message = 'complete_tasks needs arrays of equal length (run_ids, step_slugs, outputs, task_indexes, attempts)';
    end if;
    if coalesce(v_count, 0) = 0 then
        return 0;
    end if;
    select a.attempt, a.run_id, a.step_slug into v_bad
    from unnest(complete_tasks.attempts, complete_tasks.run_ids, complete_tasks.step_slugs)
        as a (attempt, run_id, step_slug)
    where a.attempt < 1
    limit 1;
    if found then
        perform pgflow.check_attempt(v_bad.attempt, v_bad.run_id, v_bad.step_slug);
    end if;

    -- a task named twice keeps its first output
    select array_agg(i.run_id), array_agg(i.step_slug), array_agg(i.task_index), array_agg(i.output)
    into v_run_ids, v_step_slugs, v_task_indexes, v_outputs
    from (
        select distinct on (i.run_id, i.step_slug, coalesce(i.task_index, 0))
            i.run_id, i.step_slug, coalesce(i.task_index, 0) as task_index,
            coalesce(i.output, 'null'::jsonb) as output
        from unnest(
            complete_tasks.run_ids, complete_tasks.step_slugs, complete_tasks.outputs,
            coalesce(complete_tasks.task_indexes, array_fill(null::integer, array[v_count]))
        ) with ordinality as i (run_id, step_slug, output, task_index, position)
        order by i.run_id, i.step_slug, coalesce(i.task_index, 0), i.position
    ) as i;

    -- key share: completions of one run proceed together; fail and cancel,
    -- which take the run for update, wait for them (and they for fail/cancel)
    select u.run_id into v_missing
    from (select distinct b.run_id from unnest(v_run_ids) as b (run_id)) as u
    left join (
        select r.run_id from pgflow.runs as r
        where r.run_id = any(v_run_ids)
        order by r.run_id
        for key share
    ) as r on r.run_id = u.run_id
    where r.run_id is null
    limit 1;
    if found then
        perform pgflow.raise_unknown_run(v_missing.run_id);
    end if;

    -- The tasks, in key order. Only the unfinished ones change; no need to
    -- read the run's status: a run that is no longer started has no
    -- unfinished task (fail_run and cancel_run cancel them under the run lock
    -- this call now shares). The statements below join on primary keys only,
    -- so no plan can wander into the queue's partial indexes.
    select count(t.run_id)::integer,
        array_agg(b.run_id) filter (where t.status in ('queued', 'started')),
        array_agg(b.step_slug) filter (where t.status in ('queued', 'started')),
        array_agg(b.task_index) filter (where t.status in ('queued', 'started')),
        array_agg(b.output) filter (where t.status in ('queued', 'started'))
    into v_found, v_open_runs, v_open_steps, v_open_indexes, v_open_outputs
    from unnest(v_run_ids, v_step_slugs, v_task_indexes, v_outputs)
        as b (run_id, step_slug, task_index, output)
    left join (
        select t.run_id, t.step_slug, t.task_index, t.status
        from pgflow.step_tasks as t
        join unnest(v_run_ids, v_step_slugs, v_task_indexes) as k (run_id, step_slug, task_index)
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
        order by t.run_id, t.step_slug, t.task_index
        for update of t
    ) as t on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index;
    if v_found < cardinality(v_run_ids) then
        select b.run_id, b.step_slug, b.task_index into v_missing
        from unnest(v_run_ids, v_step_slugs, v_task_indexes) as b (run_id, step_slug, task_index)
        where not exists (
            select 1 from pgflow.step_tasks as t
            where t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        )
        limit 1;
        perform pgflow.raise_unknown_task(v_missing.run_id, v_missing.step_slug, v_missing.task_index);
    end if;
    if v_open_runs is null then
        return 0;
    end if;

    -- the steps of these tasks, in key order, before the statement that counts them
    perform 1 from pgflow.step_states as ss
    where (ss.run_id, ss.step_slug) in (
        select b.run_id, b.step_slug from unnest(v_open_runs, v_open_steps) as b (run_id, step_slug)
    )
    order by ss.run_id, ss.step_slug
    for no key update;

    with completed as (
        update pgflow.step_tasks as t
        set status = 'completed',
            output = b.output,
            completed_at = v_now,
            -- a stale attempt completing a task that waits for its retry was
            -- never re-claimed; it still counts as the attempt that produced it
            attempts_count = greatest(t.attempts_count, 1),
            started_at = coalesce(t.started_at, v_now)
        from unnest(v_open_runs, v_open_steps, v_open_indexes, v_open_outputs)
            as b (run_id, step_slug, task_index, output)
        where t.run_id = b.run_id
            and t.step_slug = b.step_slug
            and t.task_index = b.task_index
        returning t.run_id, t.step_slug, t.output
    ),
    per_step as (
        select c.run_id, c.step_slug, count(*)::integer as tasks,
            (array_agg(c.output))[1] as output
        from completed as c
        group by c.run_id, c.step_slug
    ),
    counted as (
        update pgflow.step_states as ss
        set remaining_tasks = ss.remaining_tasks - p.tasks,
            status = case when ss.remaining_tasks = p.tasks then 'completed' else ss.status end,
            completed_at = case when ss.remaining_tasks = p.tasks then v_now end,
            output = case when ss.remaining_tasks = p.tasks and s.step_type <> 'map' then p.output end
        from per_step as p, pgflow.steps as s
        where ss.run_id = p.run_id
            and ss.step_slug = p.step_slug
            and ss.status = 'started'
            and s.flow_slug = ss.flow_slug
            and s.step_slug = ss.step_slug
        returning ss.run_id, ss.flow_slug, ss.step_slug, ss.status = 'completed' as done,
            s.step_type = 'map' as is_map,
            exists (
                select 1 from pgflow.deps as d
                where d.flow_slug = ss.flow_slug and d.dep_slug = ss.step_slug
            ) as has_dependents
    )
    select (select coalesce(sum(p.tasks), 0)::integer from per_step as p),
        array_agg(c.run_id order by c.run_id) filter (where c.done),
        array_agg(c.run_id order by c.run_id, c.step_slug) filter (where c.done and c.has_dependents),
        array_agg(c.flow_slug order by c.run_id, c.step_slug) filter (where c.done and c.has_dependents),
        array_agg(c.step_slug order by c.run_id, c.step_slug) filter (where c.done and c.has_dependents),
        array_agg(c.run_id) filter (where c.done and c.is_map),
        array_agg(c.step_slug) filter (where c.done and c.is_map)
    into v_changed, v_settle_runs, v_done_runs, v_done_flows, v_done_steps, v_map_runs, v_map_steps
    from counted as c;

    if v_settle_runs is null then
        return v_changed;
    end if;

    -- A map step's output is the array of its task outputs in element order,
    -- read by a statement after the step lock: a sibling task completed by a
    -- concurrent batch is then committed and visible
    -- (tests/python/sql_concurrency/test_races.py).
    if v_map_runs is not null then
        update pgflow.step_states as ss
        set output = (
            select pg_catalog.jsonb_agg(t.output order by t.task_index)
            from pgflow.step_tasks as t
            where t.run_id = ss.run_id and t.step_slug = ss.step_slug
        )
        from unnest(v_map_runs, v_map_steps) as d (run_id, step_slug)
        where ss.run_id = d.run_id and ss.step_slug = d.step_slug;
    end if;

    -- each completed step counts once against its run, and so does each step
    -- that finished at once when its dependents were released
    v_settle_counts := array_fill(1, array[cardinality(v_settle_runs)]);
    if v_done_runs is not null then
        for v_ready in
            select r.run_id, r.ready
            from pgflow.release_dependents_of(v_done_runs, v_done_flows, v_done_steps) as r
            where cardinality(r.ready) > 0
            order by r.run_id
        loop
            v_settle_runs := v_settle_runs || v_ready.run_id;
            v_settle_counts := v_settle_counts
                || pgflow.start_ready_steps(v_ready.run_id, v_ready.ready);
        end loop;
    end if;
    perform pgflow.settle_runs(v_settle_runs, v_settle_counts);
    return v_changed;
end;
$$;

-- An attempt number names a claim, and claims count from 1.
create function pgflow.check_attempt(attempt integer, run_id uuid, step_slug text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
    if check_attempt.attempt is not null and check_attempt.attempt < 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'attempt must be at least 1, got %s (run %s, step %L)',
                check_attempt.attempt, check_attempt.run_id, check_attempt.step_slug
            );
    end if;
end;
$$;


-- source: extension/src/110_fail_task.sql
-- Records a failed attempt. Before max_attempts the task is queued again after
-- an exponential backoff; on the last attempt the step's when_exhausted policy
-- applies. Only the current holder can fail a task: a call naming another
-- attempt, or for a task that is not started, is stale and ignored.
create function pgflow.fail_task(
    run_id uuid,
    step_slug text,
    error_message text,
    task_index integer default 0,
    attempt integer default null
)
returns pgflow.step_tasks
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_task pgflow.step_tasks;
    v_delay integer;
begin
    perform pgflow.check_attempt(fail_task.attempt, fail_task.run_id, fail_task.step_slug);
    v_task := pgflow.lock_task(fail_task.run_id, fail_task.step_slug, coalesce(fail_task.task_index, 0));
    -- a started task implies a started run: ending a run cancels its tasks
    if v_task.status <> 'started'
        or fail_task.attempt <> v_task.attempts_count then
        return v_task;
    end if;

    if v_task.attempts_count < v_task.max_attempts then
        select pgflow.retry_delay(s.base_delay, v_task.attempts_count) into v_delay
        from pgflow.steps as s
        where s.flow_slug = v_task.flow_slug and s.step_slug = v_task.step_slug;
        update pgflow.step_tasks as t
        set status = 'queued',
            error_message = fail_task.error_message,
            claimed_by = null,
            visible_at = pgflow.now() + pg_catalog.make_interval(secs => v_delay)
        where t.run_id = v_task.run_id
            and t.step_slug = v_task.step_slug
            and t.task_index = v_task.task_index
        returning t.* into v_task;
        if v_delay = 0 then
            perform pg_catalog.pg_notify('pgflow_tasks', v_task.flow_slug);
        end if;
        return v_task;
    end if;

    return pgflow.exhaust_task(v_task, fail_task.error_message);
end;
$$;

-- A task used its last attempt. The task fails; then, by the step's
-- when_exhausted: 'fail' fails the step and the run, 'skip' skips the step
-- (dependents run without it) and 'skip-cascade' skips everything downstream.
-- The caller holds the run row for update.
create function pgflow.exhaust_task(task pgflow.step_tasks, error_message text)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_task pgflow.step_tasks;
    v_policy text;
    v_now timestamptz := pgflow.now();
    v_message text;
begin
    update pgflow.step_tasks as t
    set status = 'failed', failed_at = v_now, error_message = exhaust_task.error_message,
        claimed_by = null
    where t.run_id = (exhaust_task.task).run_id
        and t.step_slug = (exhaust_task.task).step_slug
        and t.task_index = (exhaust_task.task).task_index
    returning t.* into v_task;
    select s.when_exhausted into v_policy from pgflow.steps as s
    where s.flow_slug = v_task.flow_slug and s.step_slug = v_task.step_slug;
    v_message := pg_catalog.format(
        'step %L of flow %L: task %s failed after %s attempt(s): %s',
        v_task.step_slug, v_task.flow_slug, v_task.task_index, v_task.attempts_count,
        exhaust_task.error_message
    );

    if v_policy = 'fail' then
        perform pgflow.fail_run(v_task.run_id, v_task.step_slug, v_message);
        return v_task;
    end if;

    -- the step is given up: its other tasks are no longer worth running
    update pgflow.step_tasks as t
    set status = 'cancelled', cancelled_at = v_now
    where t.run_id = v_task.run_id and t.step_slug = v_task.step_slug
        and t.status in ('queued', 'started');
    if v_policy = 'skip' then
        perform pgflow.settle_run(
            v_task.run_id,
            1 + pgflow.start_ready_steps(
                v_task.run_id,
                pgflow.skip_step(
                    v_task.run_id, v_task.flow_slug, v_task.step_slug, 'retries_exhausted', v_message
                )
            )
        );
    else
        perform pgflow.settle_run(
            v_task.run_id,
            pgflow.skip_cascade(
                v_task.run_id, v_task.flow_slug, v_task.step_slug, 'retries_exhausted', v_message
            )
        );
    end if;
    return v_task;
end;
$$;

-- Takes the run row for update (a failure may end the run, which must not
-- race completions: they hold it for key share) and then the task row: the
-- lock order every transition follows.
create function pgflow.lock_task(run_id uuid, step_slug text, task_index integer)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_task pgflow.step_tasks;
begin
    perform 1 from pgflow.runs as r where r.run_id = lock_task.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(lock_task.run_id);
    end if;
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = lock_task.run_id
        and t.step_slug = lock_task.step_slug
        and t.task_index = lock_task.task_index
    for update;
    if not found then
        perform pgflow.raise_unknown_task(lock_task.run_id, lock_task.step_slug, lock_task.task_index);
    end if;
    return v_task;
end;
$$;


-- source: extension/src/120_cancel_and_prune.sql
-- Cancels a started run: its unfinished tasks stop being claimable and late
-- results for them become no-ops. Cancelling a finished run changes nothing.
create function pgflow.cancel_run(run_id uuid)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_run pgflow.runs;
    v_now timestamptz := pgflow.now();
begin
    select r.* into v_run from pgflow.runs as r where r.run_id = cancel_run.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(cancel_run.run_id);
    end if;
    if v_run.status <> 'started' then
        return v_run;
    end if;
    perform pgflow.cancel_unfinished(cancel_run.run_id, v_now);
    update pgflow.runs as r
    set status = 'cancelled', cancelled_at = v_now
    where r.run_id = cancel_run.run_id
    returning r.* into v_run;
    perform pgflow.notify_run_finished(v_run.run_id, v_run.flow_slug, 'cancelled');
    return v_run;
end;
$$;

-- Retention: deletes finished runs (with their steps and tasks) that finished
-- more than older_than ago, oldest first, at most max_runs per call so a large
-- backlog can be pruned in short transactions. Returns the number deleted.
create function pgflow.prune_runs(older_than interval, max_runs integer default null)
returns bigint
language sql
volatile
security definer
set search_path = ''
as $$
    with doomed as (
        select r.run_id
        from pgflow.runs as r
        where r.status <> 'started'
            and r.finished_at < pgflow.now() - prune_runs.older_than
        order by r.finished_at
        limit prune_runs.max_runs
        for update skip locked
    ),
    deleted as (
        delete from pgflow.runs as r
        using doomed as d
        where r.run_id = d.run_id
        returning 1
    )
    select count(*) from deleted
$$;


-- source: extension/src/130_workers.sql
-- Worker registration and heartbeats: what operators look at to tell live
-- workers from dead ones. Leases, not heartbeats, decide when a task held by a
-- dead worker is claimable again.
create function pgflow.register_worker(
    worker_id uuid,
    flow_slugs text[] default null,
    hostname text default null,
    pid integer default null
)
returns pgflow.workers
language sql
volatile
security definer
set search_path = ''
as $$
    insert into pgflow.workers as w (
        worker_id, flow_slugs, hostname, pid, started_at, last_heartbeat_at
    )
    values (
        register_worker.worker_id, register_worker.flow_slugs, register_worker.hostname,
        register_worker.pid, pgflow.now(), pgflow.now()
    )
    on conflict on constraint workers_pkey do update
    set flow_slugs = excluded.flow_slugs,
        hostname = excluded.hostname,
        pid = excluded.pid,
        last_heartbeat_at = excluded.last_heartbeat_at,
        stopped_at = null
    returning w.*
$$;

-- Returns false when the worker is unknown or was stopped, so it can re-register.
create function pgflow.heartbeat_worker(worker_id uuid)
returns boolean
language sql
volatile
security definer
set search_path = ''
as $$
    with beat as (
        update pgflow.workers as w
        set last_heartbeat_at = pgflow.now()
        where w.worker_id = heartbeat_worker.worker_id and w.stopped_at is null
        returning 1
    )
    select exists (select 1 from beat)
$$;

create function pgflow.stop_worker(worker_id uuid)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
    update pgflow.workers as w
    set stopped_at = pgflow.now()
    where w.worker_id = stop_worker.worker_id and w.stopped_at is null
$$;

-- Forgets workers that stopped, or stopped heartbeating, longer ago than older_than.
create function pgflow.prune_workers(older_than interval)
returns bigint
language sql
volatile
security definer
set search_path = ''
as $$
    with deleted as (
        delete from pgflow.workers as w
        where coalesce(w.stopped_at, w.last_heartbeat_at) < pgflow.now() - prune_workers.older_than
        returning 1
    )
    select count(*) from deleted
$$;


-- source: extension/src/900_privileges.sql
-- Privileges. Functions default to EXECUTE for PUBLIC and nothing here should
-- be callable or writable by just anyone: everything is revoked, then granted
-- to two roles. The public functions are security definer with an empty
-- search_path and fully qualified names, so a caller's search_path cannot
-- redirect them.
do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_worker') then
        create role pgflow_worker nologin;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_client') then
        create role pgflow_client nologin;
    end if;
end;
$$;

revoke all on schema pgflow from public;
revoke all on all tables in schema pgflow from public;
revoke all on all functions in schema pgflow from public;

grant usage on schema pgflow to pgflow_worker, pgflow_client;

-- a worker claims, reports and registers; it reads nothing directly
grant execute on function
pgflow.claim_tasks(uuid, integer, text[]),
pgflow.complete_task(uuid, text, jsonb, integer, integer),
pgflow.complete_tasks(uuid[], text[], jsonb[], integer[], integer[]),
pgflow.fail_task(uuid, text, text, integer, integer),
pgflow.next_task_visible_at(text[]),
pgflow.register_worker(uuid, text[], text, integer),
pgflow.heartbeat_worker(uuid),
pgflow.stop_worker(uuid),
-- read-only: lets a worker refuse to serve a flow whose deployed shape differs
pgflow.verify_flow(text, text, text[]),
pgflow.flow_shape_hash(text)
to pgflow_worker;

-- a client starts, cancels and reads runs and definitions
grant execute on function
pgflow.start_flow(text, jsonb, uuid),
pgflow.cancel_run(uuid),
pgflow.flow_shape(text),
pgflow.flow_shape_hash(text)
to pgflow_client;
grant select on all tables in schema pgflow to pgflow_client;


-- source: extension/extension_only.sql
-- Mark user data so pg_dump includes it (extension member tables are skipped otherwise).
select pg_catalog.pg_extension_config_dump('pgflow.flows', '');
select pg_catalog.pg_extension_config_dump('pgflow.steps', '');
select pg_catalog.pg_extension_config_dump('pgflow.deps', '');
select pg_catalog.pg_extension_config_dump('pgflow.runs', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_states', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_tasks', '');
select pg_catalog.pg_extension_config_dump('pgflow.workers', '');

