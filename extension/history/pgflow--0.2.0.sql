-- FROZEN: pgflow 0.2.0 as released. Never edit this file.
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
-- Sources (extension/src/, one object per file, numbered for load order)
--   1xx vocabulary and tables    2xx clock, validation and error helpers
--   3xx definitions and shape    4xx step and run transitions, each written once
--                                (give_up_step applies the skip/fail policies,
--                                end_run ends a run, lock_task takes run then task)
--   5xx runs                     6xx the queue: claim, complete, fail
--   7xx workers                  900 privileges
--
-- Locking order, everywhere: runs row (key share to complete, update to fail or
-- cancel), then step_tasks rows, then step_states rows along the DAG's edges,
-- then the runs row again for the counter. Batches lock each table's rows in
-- key order, so concurrent batches cannot deadlock (claim_tasks fails expired
-- leases in key order too). Notifications:
-- pgflow_tasks when tasks become claimable, pgflow_runs when a run finishes.
--
-- Plans: the entry points a worker calls per batch set plan_cache_mode =
-- force_generic_plan. Their statements take arrays and parameters whose custom
-- plans cost more to make than to run (measured: complete_tasks of one task
-- fell from 3.0 to 1.2 ms). A generic plan is made once per session, perhaps
-- while the tables are still empty and unanalyzed, when a sequential scan looks
-- free; every statement here is a key lookup, so these functions also set
-- enable_seqscan = off (claim_tasks and add_step say what else they need).


-- source: extension/src/100_vocabulary.sql
-- The one source of pgflow's valid values and defaults: the slug rule, step
-- types, the skip/fail policies and the defaults of create_flow and add_step.
-- Table constraints and the definition functions read it here; the Python
-- package mirrors it and a test checks that the two agree. Read-only, so both
-- roles may call it.
create function pgflow.vocabulary()
returns jsonb
language sql
immutable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select '{
        "slug_pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "slug_max_length": 128,
        "reserved_step_slugs": ["run"],
        "step_types": ["single", "map"],
        "policies": ["fail", "skip", "skip-cascade"],
        "flow_defaults": {"max_attempts": 3, "base_delay": 1, "timeout": 60},
        "step_defaults": {
            "step_type": "single", "delay_seconds": 0, "when_unmet": "skip", "when_exhausted": "fail"
        }
    }'::jsonb
$$;


-- source: extension/src/102_slug_is_valid.sql
-- Slugs become JSON keys, notification payloads and Python identifiers, so they
-- are kept identifier-like and bounded (the rule is in pgflow.vocabulary()).
create function pgflow.slug_is_valid(slug text)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select slug_is_valid.slug ~ (pgflow.vocabulary() ->> 'slug_pattern')
        and pg_catalog.length(slug_is_valid.slug) <= (pgflow.vocabulary() ->> 'slug_max_length')::integer
$$;


-- source: extension/src/104_type_task_result.sql
-- A task's key with the result reported for it: one value per task, where a
-- batch would otherwise carry parallel arrays that must stay in step.
create type pgflow.task_result as (
    run_id uuid,
    step_slug text,
    task_index integer,
    attempt integer,
    output jsonb
);


-- source: extension/src/106_type_step_key.sql
-- A step of a run, named with its flow (which the deps table is keyed by).
create type pgflow.step_key as (
    run_id uuid,
    flow_slug text,
    step_slug text
);


-- source: extension/src/110_table_flows.sql
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
    constraint flow_slug_is_valid check (pgflow.slug_is_valid(flow_slug)),
    constraint flow_id_is_unique unique (flow_id),
    constraint max_attempts_is_positive check (max_attempts >= 1),
    constraint base_delay_is_not_negative check (base_delay >= 0),
    constraint timeout_is_positive check (timeout >= 1)
);

comment on table pgflow.flows is
'Registered flows. Immutable once a run exists: a new shape needs a new flow_slug.';


-- source: extension/src/120_table_steps.sql
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


-- source: extension/src/130_table_deps.sql
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


-- source: extension/src/140_table_runs.sql
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
    -- how many times retry_run resumed or re-ran the run, and when it last did
    retry_count integer not null default 0,
    retried_at timestamptz,
    -- the caller's trace context (W3C traceparent/tracestate), handed to each
    -- task's handler so its spans join the caller's trace; null without one
    trace_context jsonb,
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
    constraint retried_at_only_when_retried check ((retried_at is not null) = (retry_count > 0)),
    constraint trace_context_is_an_object check (
        trace_context is null or pg_catalog.jsonb_typeof(trace_context) = 'object'
    ),
    constraint completed_only_without_remaining_steps check (
        status <> 'completed' or remaining_steps = 0
    )
);

create index runs_flow_slug_idx on pgflow.runs (flow_slug);
-- prune_runs walks finished runs oldest first
create index runs_finished_at_idx on pgflow.runs (finished_at) where status <> 'started';

comment on table pgflow.runs is 'One row per run: started -> completed | failed | cancelled.';


-- source: extension/src/150_table_step_states.sql
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


-- source: extension/src/160_table_step_tasks.sql
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


-- source: extension/src/170_table_workers.sql
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


-- source: extension/src/180_table_test_clock.sql
-- The test clock: at most one row. When it exists, pgflow.now() returns its
-- time instead of the server's. Only the owner writes it (see
-- pgflow.set_test_clock and 900_privileges.sql), so no worker or client can
-- move pgflow's clock to expire another worker's lease or backdate a run.
create table pgflow.test_clock (
    singleton boolean primary key default true,
    fake_now timestamptz not null,
    constraint only_one_row check (singleton)
);

comment on table pgflow.test_clock is
'When it holds a row, pgflow.now() returns fake_now (tests only; written by the owner).';


-- source: extension/src/190_table_task_attempts.sql
-- The attempts of every task that ended without completing it (failed,
-- lease expired, timed out, cancelled), a late result of an earlier attempt
-- (completed), and completions that retry_run asked to redo (superseded):
-- who ran it, when, how it ended and why. The attempt a task is on
-- now, or completed with, lives in step_tasks (attempts_count, claimed_by,
-- started_at, completed_at), so claims and the usual completion write nothing
-- here; pgflow.run_attempts(run_id) reads both as one history. Deleted with
-- the task's run.
create table pgflow.task_attempts (
    run_id uuid not null,
    step_slug text not null,
    task_index integer not null,
    attempt integer not null,
    -- null when not known: a late result of an attempt whose lease had been
    -- taken over (the task row by then names the newer claim)
    worker_id uuid,
    claimed_at timestamptz,
    finished_at timestamptz not null,
    outcome text not null,
    error_message text,
    -- what the worker sent with a failure (a traceback), at most 65,536 characters
    error_detail text,
    primary key (run_id, step_slug, task_index, attempt),
    -- keyed to the step, not the task: retry_run replaces the tasks of the
    -- steps it re-runs, and their earlier attempts stay on record
    foreign key (run_id, step_slug)
    references pgflow.step_states (run_id, step_slug) on delete cascade,
    constraint attempt_is_positive check (attempt >= 1),
    constraint outcome_is_valid check (
        outcome in ('completed', 'failed', 'lease_expired', 'timed_out', 'cancelled', 'superseded')
    ),
    constraint error_only_when_not_completed check (
        outcome <> 'completed' or (error_message is null and error_detail is null)
    )
);

comment on table pgflow.task_attempts is
'Finished attempts: completed | failed | lease_expired | timed_out | cancelled, with errors.';


-- source: extension/src/195_table_worker_steps.sql
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


-- source: extension/src/200_now.sql
-- The clock seam: every timestamp pgflow writes comes from here. It is the
-- server's transaction time, unless the owner switched the test clock on
-- (pgflow.set_test_clock), so tests can move time instead of sleeping through
-- backoff, leases and delays. The test clock is a table only the owner can
-- write, not a setting: a caller's SET cannot move what a definer function
-- believes is now.
create function pgflow.now()
returns timestamptz
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select c.fake_now from pgflow.test_clock as c where c.singleton),
        pg_catalog.now()
    )
$$;


-- source: extension/src/202_set_test_clock.sql
-- Switches the test clock on at the given time, or off with null. Granted to
-- nobody: only the owner (or a superuser) can call it. Within a transaction
-- that rolls back (a pgTAP test) the change rolls back too.
create function pgflow.set_test_clock(fake_now timestamptz)
returns timestamptz
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if set_test_clock.fake_now is null then
        delete from pgflow.test_clock as c where c.singleton;
        return pg_catalog.now();
    end if;
    insert into pgflow.test_clock as c (singleton, fake_now)
    values (true, set_test_clock.fake_now)
    on conflict on constraint test_clock_pkey do update set fake_now = excluded.fake_now;
    return set_test_clock.fake_now;
end;
$$;


-- source: extension/src/204_clip.sql
-- Caller-supplied text quoted in an error message (like format's %L), cut to
-- a readable length: a 10 MB slug must not make a 20 MB message and log line.
create function pgflow.clip(value text)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.length(clip.value) > 80 then
            pg_catalog.quote_literal(pg_catalog.left(clip.value, 80))
            || pg_catalog.format('... (%s characters)', pg_catalog.length(clip.value))
        else pg_catalog.quote_nullable(clip.value)
    end
$$;


-- source: extension/src/205_clip_text.sql
-- A long text put in a message (a value, a list of differences), cut at
-- max_length characters with a note of how long it was: messages and log
-- lines stay readable whatever the input.
create function pgflow.clip_text(value text, max_length integer)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.length(clip_text.value) > clip_text.max_length then
            pg_catalog.left(clip_text.value, clip_text.max_length)
            || pg_catalog.format('... (%s characters)', pg_catalog.length(clip_text.value))
        else clip_text.value
    end
$$;


-- source: extension/src/206_check_list.sql
-- A list argument must be one-dimensional: '{{a}}' is a valid text[] but not
-- a list, and some array functions refuse it with a less helpful error.
create function pgflow.check_list(name text, list anyarray)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if pg_catalog.array_ndims(check_list.list) > 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be a one-dimensional array, got %s dimensions',
                check_list.name, pg_catalog.array_ndims(check_list.list)
            );
    end if;
end;
$$;


-- source: extension/src/208_check_slug.sql
-- Rejects a slug that breaks the rule of pgflow.slug_is_valid, or a reserved
-- step slug, naming the flow and step it belongs to.
create function pgflow.check_slug(slug text, kind text, flow_slug text, step_slug text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if not coalesce(pgflow.slug_is_valid(check_slug.slug), false) then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'invalid %s slug %s (flow %s%s)',
                check_slug.kind, pgflow.clip(check_slug.slug), pgflow.clip(check_slug.flow_slug),
                case when check_slug.step_slug is not null
                    then pg_catalog.format(', step %s', pgflow.clip(check_slug.step_slug)) else '' end
            ),
            hint = 'slugs start with a letter or underscore, contain only letters, digits '
            || 'and underscores, and are at most 128 characters long';
    end if;
    if check_slug.kind = 'step' and pgflow.vocabulary() -> 'reserved_step_slugs' ? check_slug.slug then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'step slug "run" is reserved (flow %s): the run input is passed under that key',
                pgflow.clip(check_slug.flow_slug)
            );
    end if;
end;
$$;


-- source: extension/src/210_check_option.sql
-- Rejects an option below its minimum, naming the flow and step it belongs to.
create function pgflow.check_option(
    flow_slug text, step_slug text, name text, value integer, minimum integer
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_option.value < check_option.minimum then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be at least %s, got %s (flow %s%s)',
                check_option.name, check_option.minimum, check_option.value,
                pgflow.clip(check_option.flow_slug),
                case when check_option.step_slug is not null
                    then pg_catalog.format(', step %s', pgflow.clip(check_option.step_slug)) else '' end
            );
    end if;
end;
$$;


-- source: extension/src/211_check_choice.sql
-- Rejects a value that is not one of a list of pgflow.vocabulary() (e.g.
-- 'policies'), naming the flow and step it belongs to.
create function pgflow.check_choice(
    flow_slug text, step_slug text, name text, value text, list text
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_choices jsonb := pgflow.vocabulary() -> check_choice.list;
begin
    if check_choice.value is null or not v_choices ? check_choice.value then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be one of %s, got %s (flow %s, step %s)',
                check_choice.name,
                (select pg_catalog.string_agg(pg_catalog.quote_literal(c.value), ', ' order by c.ordinality)
                 from pg_catalog.jsonb_array_elements_text(v_choices) with ordinality as c),
                pgflow.clip(check_choice.value), pgflow.clip(check_choice.flow_slug),
                pgflow.clip(check_choice.step_slug)
            );
    end if;
end;
$$;


-- source: extension/src/212_describe_difference.sql
-- "<name>: <database> in the database, <given> given", or null when equal.
create function pgflow.describe_difference(name text, in_database jsonb, given jsonb)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when describe_difference.in_database is distinct from describe_difference.given
            then pg_catalog.format(
                '%s: %s in the database, %s given',
                describe_difference.name,
                pgflow.clip_text(coalesce(describe_difference.in_database::text, 'null'), 200),
                pgflow.clip_text(coalesce(describe_difference.given::text, 'null'), 200)
            )
    end
$$;


-- source: extension/src/214_retry_delay.sql
-- Retry delay after a failed attempt: exponential, capped at a day (or at
-- base_delay when that is larger) so late attempts never wait for ages; the
-- exponent stops at 30, past the cap for any base_delay >= 1.
create function pgflow.retry_delay(base_delay integer, attempt integer)
returns integer
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select least(
        retry_delay.base_delay::numeric * pg_catalog.power(2::numeric, least(greatest(retry_delay.attempt - 1, 0), 30)),
        greatest(retry_delay.base_delay, 86400)
    )::integer
$$;


-- source: extension/src/216_raise_unknown_run.sql
-- The errors for a run or a task a call names but that does not exist, worded
-- once for every entry point that can raise them.
create function pgflow.raise_unknown_run(run_id uuid)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF010',
        message = pg_catalog.format('run %s does not exist', raise_unknown_run.run_id);
end;
$$;


-- source: extension/src/218_raise_unknown_task.sql
create function pgflow.raise_unknown_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF004',
        message = pg_catalog.format(
            'task %s of step %s in run %s does not exist',
            raise_unknown_task.task_index, pgflow.clip(raise_unknown_task.step_slug), raise_unknown_task.run_id
        );
end;
$$;


-- source: extension/src/220_raise_unclaimed_attempt.sql
-- A completion or failure must name an attempt a claim actually made: a task
-- never claimed, or an attempt beyond the task's attempts, is refused before
-- anything changes, so nobody can finish a task nobody ran.
create function pgflow.raise_unclaimed_attempt(
    run_id uuid, step_slug text, task_index integer, attempt integer, attempts_count integer
)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF017',
        message = case
            when raise_unclaimed_attempt.attempts_count = 0 then pg_catalog.format(
                'task %s of step %s in run %s was never claimed',
                raise_unclaimed_attempt.task_index, pgflow.clip(raise_unclaimed_attempt.step_slug),
                raise_unclaimed_attempt.run_id
            )
            else pg_catalog.format(
                'attempt %s of task %s of step %s in run %s was never claimed (the task has had %s attempt(s))',
                raise_unclaimed_attempt.attempt, raise_unclaimed_attempt.task_index,
                pgflow.clip(raise_unclaimed_attempt.step_slug), raise_unclaimed_attempt.run_id,
                raise_unclaimed_attempt.attempts_count
            )
        end,
        hint = 'complete or fail a task with the attempt number its claim returned';
end;
$$;


-- source: extension/src/222_task_status_only.sql
-- What a completion or failure that changed nothing returns: the task's key
-- and status, nothing of its input, output or error.
create function pgflow.task_status_only(task pgflow.step_tasks)
returns pgflow.step_tasks
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    v_task.run_id := (task_status_only.task).run_id;
    v_task.flow_slug := (task_status_only.task).flow_slug;
    v_task.step_slug := (task_status_only.task).step_slug;
    v_task.task_index := (task_status_only.task).task_index;
    v_task.status := (task_status_only.task).status;
    return v_task;
end;
$$;


-- source: extension/src/224_check_attempt.sql
-- An attempt number names a claim, and claims count from 1.
create function pgflow.check_attempt(attempt integer, run_id uuid, step_slug text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_attempt.attempt is not null and check_attempt.attempt < 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'attempt must be at least 1, got %s (run %s, step %s)',
                check_attempt.attempt, check_attempt.run_id, pgflow.clip(check_attempt.step_slug)
            );
    end if;
end;
$$;


-- source: extension/src/226_cancel_tasks.sql
-- Cancels the unfinished tasks of a run (of one step when step_slug is given):
-- they stop being claimable and late results for them become no-ops. An
-- attempt that was running is recorded as cancelled. The caller holds the run
-- row for update.
create function pgflow.cancel_tasks(run_id uuid, step_slug text, at timestamptz)
returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    with cancelled as (
        update pgflow.step_tasks as t
        set status = 'cancelled', cancelled_at = cancel_tasks.at
        from (
            select t.run_id, t.step_slug, t.task_index, t.status
            from pgflow.step_tasks as t
            where t.run_id = cancel_tasks.run_id
                and (cancel_tasks.step_slug is null or t.step_slug = cancel_tasks.step_slug)
                and t.status in ('queued', 'started')
            order by t.run_id, t.step_slug, t.task_index
            for update
        ) as o
        where t.run_id = o.run_id and t.step_slug = o.step_slug and t.task_index = o.task_index
        returning t.run_id, t.step_slug, t.task_index, t.attempts_count, t.claimed_by, t.started_at,
            o.status as was
    )
    insert into pgflow.task_attempts (
        run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome
    )
    select c.run_id, c.step_slug, c.task_index, c.attempts_count, c.claimed_by, c.started_at,
        cancel_tasks.at, 'cancelled'
    from cancelled as c
    where c.was = 'started'
    on conflict on constraint task_attempts_pkey do nothing
$$;


-- source: extension/src/228_check_steps_exist.sql
-- Rejects step slugs a flow does not have (PF004), naming the first one.
create function pgflow.check_steps_exist(flow_slug text, step_slugs text[])
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_unknown text;
begin
    select g.slug into v_unknown
    from unnest(coalesce(check_steps_exist.step_slugs, '{}')) as g (slug)
    where not exists (
        select 1 from pgflow.steps as s
        where s.flow_slug = check_steps_exist.flow_slug and s.step_slug = g.slug
    )
    limit 1;
    if found then
        raise exception using
            errcode = 'PF004',
            message = pg_catalog.format(
                'flow %L has no step %s', check_steps_exist.flow_slug, pgflow.clip(v_unknown)
            );
    end if;
end;
$$;


-- source: extension/src/300_create_flow.sql
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
set search_path = pg_catalog, pg_temp
as $$
declare
    v_flow pgflow.flows;
    -- an explicit null means the default too
    v_defaults jsonb := pgflow.vocabulary() -> 'flow_defaults';
    v_max_attempts integer := coalesce(create_flow.max_attempts, (v_defaults ->> 'max_attempts')::integer);
    v_base_delay integer := coalesce(create_flow.base_delay, (v_defaults ->> 'base_delay')::integer);
    v_timeout integer := coalesce(create_flow.timeout, (v_defaults ->> 'timeout')::integer);
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


-- source: extension/src/310_check_step_options.sql
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
set search_path = pg_catalog, pg_temp
as $$
declare
    v_where text := pg_catalog.format(
        'flow %s, step %s', pgflow.clip(check_step_options.flow_slug), pgflow.clip(check_step_options.step_slug)
    );
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
            message = pg_catalog.format('duplicate dependency %s (%s)', pgflow.clip(pg_catalog.array_to_string(v_dup, ', ')), v_where);
    end if;
    if check_step_options.step_slug = any(check_step_options.deps) then
        raise exception using errcode = 'PF006',
            message = pg_catalog.format('step %s cannot depend on itself (%s)',
                pgflow.clip(check_step_options.step_slug), v_where);
    end if;
    perform pgflow.check_choice(
        check_step_options.flow_slug, check_step_options.step_slug, 'step_type', check_step_options.step_type, 'step_types'
    );
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
    perform pgflow.check_choice(
        check_step_options.flow_slug, check_step_options.step_slug, 'when_unmet', check_step_options.when_unmet, 'policies'
    );
    perform pgflow.check_choice(
        check_step_options.flow_slug, check_step_options.step_slug, 'when_exhausted', check_step_options.when_exhausted, 'policies'
    );
end;
$$;


-- source: extension/src/320_find_cycle.sql
-- A path step -> dep -> ... -> step if depending on deps would close a cycle,
-- else null. Reachability is checked first with a visited set (linear in the
-- flow's size); only when a cycle exists is one shortest path spelled out,
-- breadth first, stopping at the first hit.
create function pgflow.find_cycle(flow_slug text, step_slug text, deps text[])
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/330_add_step.sql
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
    when_exhausted text default 'fail',
    execution_timeout integer default null
)
returns pgflow.steps
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
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
    v_defaults jsonb := pgflow.vocabulary() -> 'step_defaults';
    v_step_type text := coalesce(add_step.step_type, v_defaults ->> 'step_type');
    v_delay_seconds integer := coalesce(add_step.delay_seconds, (v_defaults ->> 'delay_seconds')::integer);
    v_when_unmet text := coalesce(add_step.when_unmet, v_defaults ->> 'when_unmet');
    v_when_exhausted text := coalesce(add_step.when_exhausted, v_defaults ->> 'when_exhausted');
    v_options jsonb;
    v_conditions jsonb;
    v_bad text[];
    v_cycle text[];
    v_diff text[];
begin
    perform pgflow.check_list('deps', add_step.deps);
    -- serialises registrations of one flow (step_index) and waits for start_flow
    select f.* into v_flow
    from pgflow.flows as f
    where f.flow_slug = add_step.flow_slug
    for update;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format(
                'flow %s does not exist (adding step %s)',
                pgflow.clip(add_step.flow_slug), pgflow.clip(add_step.step_slug)
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
                add_step.step_slug, add_step.flow_slug, pgflow.clip(pg_catalog.array_to_string(v_bad, ', '))
            ),
            hint = 'add dependencies before the steps that depend on them';
    end if;

    perform pgflow.check_option(
        add_step.flow_slug, add_step.step_slug, 'execution_timeout', add_step.execution_timeout, 1
    );
    -- execution_timeout only when given: steps without it keep the options
    -- (and the shape) they had before the option existed
    v_options := pg_catalog.jsonb_build_object(
        'max_attempts', add_step.max_attempts,
        'base_delay', add_step.base_delay,
        'timeout', add_step.timeout,
        'delay_seconds', v_delay_seconds,
        'when_exhausted', v_when_exhausted
    ) || case
        when add_step.execution_timeout is not null
            then pg_catalog.jsonb_build_object('execution_timeout', add_step.execution_timeout)
        else '{}'::jsonb
    end;
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
            from (
                select o.key from pg_catalog.jsonb_object_keys(v_options || v_conditions) as o (key)
                union
                select o.key from pg_catalog.jsonb_object_keys(v_step.options) as o (key)
            ) as k
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
        run_if, run_unless, when_unmet, when_exhausted, options, conditions, execution_timeout
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
        v_conditions,
        add_step.execution_timeout
    )
    returning s.* into v_step;

    insert into pgflow.deps (flow_slug, dep_slug, step_slug)
    select add_step.flow_slug, d.slug, add_step.step_slug
    from unnest(v_deps) as d (slug);

    return v_step;
end;
$$;


-- source: extension/src/340_flow_shape.sql
-- The canonical shape of a flow: what the Python compiler hashes too. Steps and
-- deps are sorted bytewise so the registration order does not matter, and step
-- options appear as declared (null = inherit) so the shape is what was written.
create function pgflow.flow_shape(flow_slug text)
returns jsonb
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
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
            ) || case
                -- only when set, so a shape without it hashes as before the option existed
                when s.execution_timeout is not null
                    then pg_catalog.jsonb_build_object('execution_timeout', s.execution_timeout)
                else '{}'::jsonb
            end order by s.step_slug collate "C")
            from pgflow.steps as s
            where s.flow_slug = f.flow_slug
        ), '[]'::jsonb)
    )
    from pgflow.flows as f
    where f.flow_slug = flow_shape.flow_slug
$$;


-- source: extension/src/342_flow_shape_hash.sql
-- sha256 of the shape's jsonb text: the identity of a flow's shape.
create function pgflow.flow_shape_hash(flow_slug text)
returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.encode(
        pg_catalog.sha256(pg_catalog.convert_to(pgflow.flow_shape(flow_shape_hash.flow_slug)::text, 'UTF8')),
        'hex'
    )
$$;


-- source: extension/src/343_describe_shape_differences.sql
-- What differs between a flow's shape in the database and a definition's
-- (both as flow_shape returns them): every flow option, every step only on
-- one side, and every option of a step on both sides, one line each, so a
-- mismatch message names what to fix rather than two hashes.
create function pgflow.describe_shape_differences(in_database jsonb, given jsonb)
returns text[]
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    with db_steps as (
        select e.value ->> 'step_slug' as slug, e.value as step
        from pg_catalog.jsonb_array_elements(coalesce(describe_shape_differences.in_database -> 'steps', '[]'))
            as e
    ),
    given_steps as (
        select e.value ->> 'step_slug' as slug, e.value as step
        from pg_catalog.jsonb_array_elements(coalesce(describe_shape_differences.given -> 'steps', '[]'))
            as e
        where pg_catalog.jsonb_typeof(e.value) = 'object'
    ),
    flow_lines as (
        select 1 as part, k.key as sort_key, pgflow.describe_difference(
            k.key, describe_shape_differences.in_database -> k.key, describe_shape_differences.given -> k.key
        ) as line
        from (
            select o.key from pg_catalog.jsonb_object_keys(describe_shape_differences.in_database) as o (key)
            union
            select o.key from pg_catalog.jsonb_object_keys(describe_shape_differences.given) as o (key)
        ) as k
        where k.key not in ('steps', 'flow_slug')
    ),
    step_lines as (
        select 2 as part, coalesce(d.slug, g.slug) as sort_key,
            case
                when g.slug is null then pg_catalog.format('step %s only in the database', pgflow.clip(d.slug))
                when d.slug is null then pg_catalog.format('step %s only in the definition', pgflow.clip(g.slug))
            end as line
        from db_steps as d
        full join given_steps as g on g.slug = d.slug
        where d.slug is null or g.slug is null
    ),
    option_lines as (
        select 3 as part, d.slug || '.' || k.key as sort_key, pgflow.describe_difference(
            pg_catalog.format('step %s %s', pgflow.clip(d.slug), k.key), d.step -> k.key, g.step -> k.key
        ) as line
        from db_steps as d
        join given_steps as g on g.slug = d.slug
        cross join lateral (
            select o.key from pg_catalog.jsonb_object_keys(d.step) as o (key)
            union
            select o.key from pg_catalog.jsonb_object_keys(g.step) as o (key)
        ) as k
        where k.key <> 'step_slug'
    )
    select coalesce(pg_catalog.array_agg(a.line order by a.part, a.sort_key collate "C"), '{}')
    from (
        select * from flow_lines
        union all
        select * from step_lines
        union all
        select * from option_lines
    ) as a
    where a.line is not null
$$;


-- source: extension/src/344_verify_flow.sql
-- The last statement of a compiled migration: add_step cannot see steps that
-- the database has and the definition lacks, so the whole shape is compared
-- here, and a mismatch rolls back everything the migration did. Given the
-- definition's whole shape (as flow_shape returns it), the DETAIL names each
-- differing flow option, step and step option; with only step_slugs, the
-- steps on one side only.
create function pgflow.verify_flow(
    flow_slug text, shape_hash text, step_slugs text[], shape jsonb default null
)
returns void
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_hash text := pgflow.flow_shape_hash(verify_flow.flow_slug);
    v_only_db text;
    v_only_given text;
begin
    if v_hash is null then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(verify_flow.flow_slug));
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
            pgflow.clip(pg_catalog.left(coalesce(verify_flow.shape_hash, 'null'), 12))
        ),
        detail = case
            when verify_flow.shape is not null then pgflow.clip_text(pg_catalog.array_to_string(
                pgflow.describe_shape_differences(pgflow.flow_shape(verify_flow.flow_slug), verify_flow.shape),
                '; '
            ), 1500)
            else pg_catalog.concat_ws(
                '; ',
                'steps only in the database: ' || v_only_db,
                'steps only in the definition: ' || pgflow.clip(v_only_given)
            )
        end,
        hint = 'flows are immutable: register the new shape under a new flow_slug';
end;
$$;


-- source: extension/src/350_drop_flow.sql
-- Development only: removes a flow, its steps and all of its runs so a changed
-- shape can be registered under the same slug. Refused unless the session
-- opted in, so a production migration cannot do it by accident.
create function pgflow.drop_flow(flow_slug text)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_runs bigint;
begin
    if coalesce(pg_catalog.current_setting('pgflow.allow_drop_flow', true), '') <> 'on' then
        raise exception using
            errcode = 'PF013',
            message = pg_catalog.format(
                'refusing to drop flow %s: drop_flow is for development only', pgflow.clip(drop_flow.flow_slug)
            ),
            hint = 'run "set pgflow.allow_drop_flow = on" in this session first';
    end if;
    perform 1 from pgflow.flows as f where f.flow_slug = drop_flow.flow_slug for update;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(drop_flow.flow_slug));
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


-- source: extension/src/400_notify_tasks_ready.sql
-- Wakes the workers of a flow: tasks of it became claimable now. A hint only
-- (the payload is the flow slug); a woken worker claims and may find nothing.
create function pgflow.notify_tasks_ready(flow_slug text)
returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.pg_notify('pgflow_tasks', notify_tasks_ready.flow_slug)
$$;


-- source: extension/src/402_notify_run_finished.sql
create function pgflow.notify_run_finished(run_id uuid, flow_slug text, status text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/410_release_dependents_of.sql
-- Decrements the waiting-dependency counter of every unstarted dependent of
-- the given finished (completed or skipped) steps; returns, per run, the
-- dependents that became ready.
create function pgflow.release_dependents_of(steps pgflow.step_key[])
returns table (run_id uuid, ready text[])
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    -- in key order first: batches releasing dependents in several runs must
    -- not take them in opposite orders
    perform 1
    from pgflow.step_states as ss
    join unnest(release_dependents_of.steps) as f on ss.run_id = f.run_id
    join pgflow.deps as d
        on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug and d.step_slug = ss.step_slug
    where ss.status = 'created'
    order by ss.run_id, ss.step_slug
    for no key update of ss;

    return query
    with released as (
        update pgflow.step_states as ss
        set remaining_deps = ss.remaining_deps - x.deps
        from (
            select f.run_id, d.step_slug, count(*)::integer as deps
            from unnest(release_dependents_of.steps) as f
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
    from unnest(release_dependents_of.steps) as f
    group by f.run_id;
end;
$$;


-- source: extension/src/412_release_dependents.sql
-- The same for one finished step; returns the dependents that became ready.
create function pgflow.release_dependents(run_id uuid, flow_slug text, step_slug text)
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    return (
        select r.ready
        from pgflow.release_dependents_of(array[
            row(
                release_dependents.run_id, release_dependents.flow_slug, release_dependents.step_slug
            )::pgflow.step_key
        ]) as r
    );
end;
$$;


-- source: extension/src/420_skip_step.sql
-- Skips one step (its dependents still run, without its key in their input);
-- returns the dependents that became ready.
create function pgflow.skip_step(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/422_skip_cascade.sql
-- Skips a step and everything downstream of it; returns how many steps it
-- finished. The step itself may be started (retries exhausted) or created.
create function pgflow.skip_cascade(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/432_end_run.sql
-- Ends a started run as failed or cancelled: every unfinished task and step
-- of it is cancelled, so nothing of it stays claimable and late results for
-- it become no-ops, and waiting clients are told. The caller holds the run
-- row for update. Returns the run; a run that had already ended is returned
-- unchanged.
create function pgflow.end_run(run_id uuid, status text, error_message text)
returns pgflow.runs
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_now timestamptz := pgflow.now();
    v_run pgflow.runs;
begin
    update pgflow.runs as r
    set status = end_run.status,
        failed_at = case when end_run.status = 'failed' then v_now end,
        cancelled_at = case when end_run.status = 'cancelled' then v_now end,
        error_message = end_run.error_message
    where r.run_id = end_run.run_id and r.status = 'started'
    returning r.* into v_run;
    if not found then
        select r.* into v_run from pgflow.runs as r where r.run_id = end_run.run_id;
        return v_run;
    end if;
    perform pgflow.cancel_tasks(end_run.run_id, null, v_now);
    update pgflow.step_states as ss
    set status = 'cancelled', cancelled_at = v_now
    where ss.run_id = end_run.run_id and ss.status in ('created', 'started');
    perform pgflow.notify_run_finished(v_run.run_id, v_run.flow_slug, v_run.status);
    return v_run;
end;
$$;


-- source: extension/src/434_fail_run.sql
-- Fails a step and its run (see end_run).
create function pgflow.fail_run(run_id uuid, step_slug text, error_message text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    update pgflow.step_states as ss
    set status = 'failed', failed_at = pgflow.now(), error_message = fail_run.error_message
    where ss.run_id = fail_run.run_id
        and ss.step_slug = fail_run.step_slug
        and ss.status in ('created', 'started');
    perform pgflow.end_run(fail_run.run_id, 'failed', fail_run.error_message);
end;
$$;


-- source: extension/src/440_give_up_step.sql
-- A step that will not run: its condition is unmet (when_unmet) or a task
-- used its last attempt (when_exhausted). The one place a policy is applied:
-- 'skip' skips the step (dependents run without it), 'skip-cascade' skips it
-- and everything downstream, 'fail' fails the step and the run. Returns how
-- many steps it finished and the dependents that became ready; ready is null
-- when the run failed. The caller holds the run row for update.
create function pgflow.give_up_step(
    run_id uuid,
    flow_slug text,
    step_slug text,
    policy text,
    reason text,
    error_message text,
    out finished integer,
    out ready text[]
)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if give_up_step.policy = 'skip' then
        finished := 1;
        ready := pgflow.skip_step(
            give_up_step.run_id, give_up_step.flow_slug, give_up_step.step_slug,
            give_up_step.reason, give_up_step.error_message
        );
    elsif give_up_step.policy = 'skip-cascade' then
        finished := pgflow.skip_cascade(
            give_up_step.run_id, give_up_step.flow_slug, give_up_step.step_slug,
            give_up_step.reason, give_up_step.error_message
        );
        ready := '{}';
    else
        perform pgflow.fail_run(give_up_step.run_id, give_up_step.step_slug, give_up_step.error_message);
        finished := 0;
        ready := null;
    end if;
end;
$$;


-- source: extension/src/450_step_input.sql
-- The input object of a step: the run input under "run" and the output of
-- every completed dependency under its slug (skipped ones are absent).
create function pgflow.step_input(run_id uuid, flow_slug text, step_slug text, run_input jsonb)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/460_start_ready_steps.sql
-- Starts the given ready steps, and whatever becomes ready because a step
-- finished at once (skipped, empty map): conditions, fan-out, delays. Returns
-- how many steps reached a final state, for settle_run.
create function pgflow.start_ready_steps(run_id uuid, ready text[])
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
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
    v_given record;
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
                -- a skipped step is not an error: only a failing policy gets a message
                v_given := pgflow.give_up_step(
                    v_run.run_id, v_run.flow_slug, v_step.step_slug, v_step.when_unmet, 'condition_unmet',
                    case when v_step.when_unmet = 'fail' then pg_catalog.format(
                        'step %L of flow %L: condition unmet (run_if %s, run_unless %s)',
                        v_step.step_slug, v_step.flow_slug,
                        pgflow.clip(coalesce(v_step.run_if::text, 'null')),
                        pgflow.clip(coalesce(v_step.run_unless::text, 'null'))
                    ) end
                );
                if v_given.ready is null then
                    return v_finished;
                end if;
                v_finished := v_finished + v_given.finished;
                v_next := v_next || v_given.ready;
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

            -- after retry_run, a task's attempts go on from its earlier ones
            -- (task_attempts keeps them), each with a fresh budget
            if v_run.retry_count > 0 then
                update pgflow.step_tasks as t
                set attempts_count = h.attempts,
                    max_attempts = h.attempts + t.max_attempts,
                    started_at = v_now
                from (
                    select a.task_index, max(a.attempt) as attempts
                    from pgflow.task_attempts as a
                    where a.run_id = v_run.run_id and a.step_slug = v_step.step_slug
                    group by a.task_index
                ) as h
                where t.run_id = v_run.run_id and t.step_slug = v_step.step_slug and t.task_index = h.task_index;
            end if;

            update pgflow.step_states as ss
            set status = 'started', initial_tasks = v_tasks, remaining_tasks = v_tasks,
                started_at = v_now
            where ss.run_id = v_run.run_id and ss.step_slug = v_step.step_slug;
            if v_step.delay_seconds = 0 then
                perform pgflow.notify_tasks_ready(v_run.flow_slug);
            end if;
        end loop;
        v_ready := v_next;
    end loop;
    return v_finished;
end;
$$;


-- source: extension/src/470_settle_runs.sql
-- Counts finished steps against their runs (parallel arrays; a run may
-- appear more than once) and completes the runs that have none left: a run's
-- output is the object of its completed leaf steps' outputs. The one place a
-- runs row is updated on the happy path, always last. Returns how many runs
-- it completed.
create function pgflow.settle_runs(run_ids uuid[], finished_steps integer[])
returns integer
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/472_settle_run.sql
-- The same for one run.
create function pgflow.settle_run(run_id uuid, finished_steps integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if settle_run.finished_steps <> 0 then
        perform pgflow.settle_runs(array[settle_run.run_id], array[settle_run.finished_steps]);
    end if;
end;
$$;


-- source: extension/src/480_lock_task.sql
-- Takes the run row for update (a failure may end the run, which must not
-- race completions: they hold it for key share) and then the task row: the
-- lock order every transition follows. A run or task that does not exist
-- raises, or with missing_ok returns null (a task seen a moment ago by a scan
-- may have been dropped since).
create function pgflow.lock_task(
    run_id uuid, step_slug text, task_index integer, missing_ok boolean default false
)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    perform 1 from pgflow.runs as r where r.run_id = lock_task.run_id for update;
    if not found then
        if lock_task.missing_ok then
            return null;
        end if;
        perform pgflow.raise_unknown_run(lock_task.run_id);
    end if;
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = lock_task.run_id
        and t.step_slug = lock_task.step_slug
        and t.task_index = lock_task.task_index
    for update;
    if not found and not lock_task.missing_ok then
        perform pgflow.raise_unknown_task(lock_task.run_id, lock_task.step_slug, lock_task.task_index);
    end if;
    return v_task;
end;
$$;


-- source: extension/src/500_existing_run.sql
-- An idempotent start_flow hit an existing run: fine if it is the same flow.
create function pgflow.existing_run(run pgflow.runs, flow_slug text)
returns pgflow.runs
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    if (existing_run.run).flow_slug <> existing_run.flow_slug then
        raise exception using
            errcode = 'PF014',
            message = pg_catalog.format(
                'run %s already exists for flow %L, not for flow %s',
                (existing_run.run).run_id, (existing_run.run).flow_slug, pgflow.clip(existing_run.flow_slug)
            );
    end if;
    return existing_run.run;
end;
$$;


-- source: extension/src/510_start_flow.sql
-- Starts a run: one step_states row per step, then the root steps start. A
-- caller-chosen run_id is an idempotency key: starting it again returns the
-- existing run, even when two callers race. trace_context (an object of at
-- most 4 kB, e.g. {"traceparent": "00-..."}) is handed to every task's
-- handler with its claim, so tracing follows a run across processes.
create function pgflow.start_flow(
    flow_slug text,
    input jsonb default '{}',
    run_id uuid default null,
    trace_context jsonb default null
)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_run pgflow.runs;
    v_input jsonb := coalesce(start_flow.input, '{}'::jsonb);
    v_now timestamptz := pgflow.now();
    v_steps integer;
    v_map_root text;
    v_retired_at timestamptz;
begin
    if start_flow.run_id is not null then
        select r.* into v_run from pgflow.runs as r where r.run_id = start_flow.run_id;
        if found then
            return pgflow.existing_run(v_run, start_flow.flow_slug);
        end if;
    end if;

    -- key share: a concurrent drop_flow waits for this run instead of orphaning it
    select f.retired_at into v_retired_at
    from pgflow.flows as f where f.flow_slug = start_flow.flow_slug for key share;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(start_flow.flow_slug)),
            hint = 'register it first (pgflow deploy, or its compiled migration)';
    end if;
    if v_retired_at is not null then
        raise exception using
            errcode = 'PF018',
            message = pg_catalog.format(
                'flow %L is retired (since %s): it takes no new runs', start_flow.flow_slug, v_retired_at
            ),
            hint = 'start its successor; runs in flight finish, and pgflow.unretire_flow reverses this';
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

    if start_flow.trace_context is not null and (
        pg_catalog.jsonb_typeof(start_flow.trace_context) <> 'object'
        or pg_catalog.octet_length(start_flow.trace_context::text) > 4096
    ) then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'trace_context must be a JSON object of at most 4096 bytes, got %s of %s bytes',
                pg_catalog.jsonb_typeof(start_flow.trace_context),
                pg_catalog.octet_length(start_flow.trace_context::text)
            );
    end if;

    insert into pgflow.runs as r (run_id, flow_slug, input, remaining_steps, started_at, trace_context)
    values (
        coalesce(start_flow.run_id, pg_catalog.gen_random_uuid()),
        start_flow.flow_slug, v_input, v_steps, v_now, start_flow.trace_context
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


-- source: extension/src/520_cancel_run.sql
-- Cancels a started run (see end_run). Cancelling a finished run changes
-- nothing and returns it as it is.
create function pgflow.cancel_run(run_id uuid)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform 1 from pgflow.runs as r where r.run_id = cancel_run.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(cancel_run.run_id);
    end if;
    return pgflow.end_run(cancel_run.run_id, 'cancelled', null);
end;
$$;


-- source: extension/src/530_prune_runs.sql
-- Retention: deletes finished runs (with their steps and tasks) that finished
-- more than older_than ago, oldest first, at most max_runs per call so a large
-- backlog can be pruned in short transactions. Returns the number deleted.
create function pgflow.prune_runs(older_than interval, max_runs integer default null)
returns bigint
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
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


-- source: extension/src/540_run_attempts.sql
-- Every attempt of every task of a run, in order: the finished ones from
-- task_attempts and the one each task is on now (running) or completed with,
-- from step_tasks. What `pgflow status` and the client show.
create function pgflow.run_attempts(run_id uuid)
returns table (
    step_slug text,
    task_index integer,
    attempt integer,
    worker_id uuid,
    claimed_at timestamptz,
    finished_at timestamptz,
    outcome text,
    error_message text,
    error_detail text
)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select a.step_slug, a.task_index, a.attempt, a.worker_id, a.claimed_at, a.finished_at,
        a.outcome, a.error_message, a.error_detail
    from pgflow.task_attempts as a
    where a.run_id = run_attempts.run_id
    union all
    select t.step_slug, t.task_index, t.attempts_count, t.claimed_by, t.started_at, t.completed_at,
        case when t.status = 'started' then 'running' else 'completed' end, null, null
    from pgflow.step_tasks as t
    where t.run_id = run_attempts.run_id
        and t.status in ('started', 'completed')
        and t.attempts_count >= 1
        and not exists (
            select 1 from pgflow.task_attempts as a
            where a.run_id = t.run_id and a.step_slug = t.step_slug and a.task_index = t.task_index
                -- a late result of an earlier attempt completed the task
                and (a.attempt = t.attempts_count or (a.outcome = 'completed' and t.status = 'completed'))
        )
    order by 1, 2, 3
$$;


-- source: extension/src/550_retire_flow.sql
-- Versioning in production: once a flow's successor is deployed under a new
-- slug, the old one stops taking new runs (start_flow raises PF018) while its
-- runs in flight finish normally; its definition and history stay. Retiring
-- a retired flow changes nothing; retired => false takes it back into
-- service (so does unretire_flow).
create function pgflow.retire_flow(flow_slug text, retired boolean default true)
returns pgflow.flows
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_flow pgflow.flows;
begin
    update pgflow.flows as f
    set retired_at = case when retire_flow.retired then coalesce(f.retired_at, pgflow.now()) end
    where f.flow_slug = retire_flow.flow_slug
    returning f.* into v_flow;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(retire_flow.flow_slug));
    end if;
    return v_flow;
end;
$$;


-- source: extension/src/552_unretire_flow.sql
-- Takes a retired flow back into service: start_flow accepts it again.
create function pgflow.unretire_flow(flow_slug text)
returns pgflow.flows
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select * from pgflow.retire_flow(unretire_flow.flow_slug, retired => false)
$$;


-- source: extension/src/560_retry_run.sql
-- Recovers a run in place, in one transaction, keeping the work already done.
--   from_steps null: resumes a failed or cancelled run. Completed steps stay
--     (and the completed elements of a map step that failed part-way); every
--     other step runs again: failed and cancelled tasks queue again with a
--     fresh attempt budget, steps that never ran become pending, conditions
--     are evaluated again as the steps become ready.
--   from_steps given: those steps and everything downstream of them run again
--     (also on a completed run: a step that "succeeded" with bad output), and
--     so does every step that had not completed; everything upstream is kept.
-- The run is started again; retry_count and retried_at record the retry, and
-- task_attempts keeps every earlier attempt (attempt numbers go on from
-- there). A late result of an attempt from before the retry changes nothing.
-- Two retries of one run at once: the second waits for the first and then
-- finds the run started (PF019). Retired flows may still be retried: a retry
-- recovers a run, it does not start new work.
create function pgflow.retry_run(run_id uuid, from_steps text[] default null)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_run pgflow.runs;
    v_now timestamptz := pgflow.now();
    -- the steps that run again, and among them the map steps resumed in place
    v_reset text[];
    v_resume text[];
    v_ready text[];
begin
    perform pgflow.check_list('from_steps', retry_run.from_steps);
    -- for update: the order every transition follows, and a second retry waits
    select r.* into v_run from pgflow.runs as r where r.run_id = retry_run.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(retry_run.run_id);
    end if;
    if v_run.status = 'started' then
        raise exception using
            errcode = 'PF019',
            message = pg_catalog.format('run %s is still running: there is nothing to retry', v_run.run_id),
            hint = 'wait for it to end, or cancel it (cancel_run) and then retry it';
    end if;
    if retry_run.from_steps is null and v_run.status = 'completed' then
        raise exception using
            errcode = 'PF019',
            message = pg_catalog.format('run %s completed: there is nothing to resume', v_run.run_id),
            hint = 'name the steps to run again (from_steps)';
    end if;
    if retry_run.from_steps is not null then
        if cardinality(retry_run.from_steps) = 0 then
            raise exception using
                errcode = 'PF009',
                message = 'from_steps must name at least one step (or be null to resume)';
        end if;
        perform pgflow.check_steps_exist(v_run.flow_slug, retry_run.from_steps);
    end if;

    with recursive downstream (slug) as (
        select f.slug from unnest(coalesce(retry_run.from_steps, '{}')) as f (slug)
        union
        select d.step_slug
        from downstream as ds
        join pgflow.deps as d on d.flow_slug = v_run.flow_slug and d.dep_slug = ds.slug
    )
    select array_agg(ss.step_slug order by ss.step_slug) into v_reset
    from pgflow.step_states as ss
    where ss.run_id = v_run.run_id
        and (ss.status <> 'completed' or ss.step_slug in (select ds.slug from downstream as ds));

    -- the run first (its row is locked already): the retry is recorded before
    -- any step or task of it moves
    update pgflow.runs as r
    set status = 'started', output = null, error_message = null,
        completed_at = null, failed_at = null, cancelled_at = null,
        remaining_steps = cardinality(v_reset),
        retry_count = r.retry_count + 1, retried_at = v_now
    where r.run_id = v_run.run_id;

    -- resuming, a map step that failed part-way keeps its completed elements
    if retry_run.from_steps is null then
        select array_agg(ss.step_slug order by ss.step_slug) into v_resume
        from pgflow.step_states as ss
        join pgflow.steps as s on s.flow_slug = ss.flow_slug and s.step_slug = ss.step_slug
        where ss.run_id = v_run.run_id
            and ss.step_slug = any(v_reset)
            and s.step_type = 'map'
            and ss.initial_tasks > 0
            and exists (
                select 1 from pgflow.step_tasks as t
                where t.run_id = ss.run_id and t.step_slug = ss.step_slug and t.status = 'completed'
            );
    end if;
    v_resume := coalesce(v_resume, '{}');

    -- the tasks of the steps that start over: a completed attempt lived only in
    -- its task row, so it goes on record first, as superseded (failed,
    -- timed-out, lost and cancelled attempts were recorded as they ended)
    insert into pgflow.task_attempts (
        run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome
    )
    select t.run_id, t.step_slug, t.task_index, t.attempts_count, t.claimed_by, t.started_at,
        t.completed_at, 'superseded'
    from pgflow.step_tasks as t
    where t.run_id = v_run.run_id
        and t.step_slug = any(v_reset)
        and not t.step_slug = any(v_resume)
        and t.status = 'completed'
    on conflict on constraint task_attempts_pkey do nothing;
    delete from pgflow.step_tasks as t
    where t.run_id = v_run.run_id and t.step_slug = any(v_reset) and not t.step_slug = any(v_resume);

    -- resumed map steps: unfinished elements queue again, with a fresh budget
    update pgflow.step_tasks as t
    set status = 'queued', visible_at = v_now, claimed_by = null, error_message = null,
        failed_at = null, cancelled_at = null,
        max_attempts = t.attempts_count + s.max_attempts
    from pgflow.steps as s
    where t.run_id = v_run.run_id
        and t.step_slug = any(v_resume)
        and t.status <> 'completed'
        and s.flow_slug = t.flow_slug
        and s.step_slug = t.step_slug;
    update pgflow.step_states as ss
    set status = 'started', error_message = null, skip_reason = null,
        failed_at = null, skipped_at = null, cancelled_at = null,
        remaining_tasks = (
            select count(*)::integer from pgflow.step_tasks as t
            where t.run_id = ss.run_id and t.step_slug = ss.step_slug and t.status <> 'completed'
        )
    where ss.run_id = v_run.run_id and ss.step_slug = any(v_resume);

    -- the other steps start over, waiting for their dependencies that run again
    update pgflow.step_states as ss
    set status = 'created',
        remaining_deps = (
            select count(*)::integer from pgflow.deps as d
            where d.flow_slug = ss.flow_slug and d.step_slug = ss.step_slug and d.dep_slug = any(v_reset)
        ),
        initial_tasks = null, remaining_tasks = null, output = null, error_message = null,
        skip_reason = null, started_at = null, completed_at = null, failed_at = null,
        skipped_at = null, cancelled_at = null
    where ss.run_id = v_run.run_id and ss.step_slug = any(v_reset) and not ss.step_slug = any(v_resume);

    select array_agg(ss.step_slug order by ss.step_slug) into v_ready
    from pgflow.step_states as ss
    where ss.run_id = v_run.run_id and ss.status = 'created' and ss.remaining_deps = 0;
    perform pgflow.settle_run(v_run.run_id, pgflow.start_ready_steps(v_run.run_id, coalesce(v_ready, '{}')));
    if cardinality(v_resume) > 0 then
        perform pgflow.notify_tasks_ready(v_run.flow_slug);
    end if;
    select r.* into v_run from pgflow.runs as r where r.run_id = retry_run.run_id;
    return v_run;
end;
$$;


-- source: extension/src/600_expire_task.sql
-- Fails a task whose lease expired on its last attempt (see fail_attempt:
-- the step's when_exhausted policy applies). Rechecks everything under the locks: a late
-- complete_task may have won the race. (A started task implies a started
-- run: ending a run cancels its tasks.)
create function pgflow.expire_task(run_id uuid, step_slug text, task_index integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
begin
    v_task := pgflow.lock_task(
        expire_task.run_id, expire_task.step_slug, expire_task.task_index, missing_ok => true
    );
    if v_task.status is distinct from 'started'
        or v_task.visible_at > pgflow.now()
        or v_task.attempts_count < v_task.max_attempts then
        return;
    end if;
    perform pgflow.fail_attempt(
        v_task, 'lease_expired',
        pg_catalog.format(
            'lease expired: no result within the step timeout on attempt %s of %s',
            v_task.attempts_count, v_task.max_attempts
        ),
        null
    );
end;
$$;


-- source: extension/src/610_claim_tasks.sql
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
    lease_expires_at timestamptz,
    trace_context jsonb
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
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
    v_fenced boolean;
begin
    if claim_tasks.worker_id is null then
        raise exception using errcode = 'PF009', message = 'claim_tasks needs a worker_id';
    end if;
    perform pgflow.check_list('flow_slugs', claim_tasks.flow_slugs);
    if coalesce(claim_tasks.max_tasks, 0) < 1 then
        return;
    end if;

    -- the oldest expired last-attempt leases, failed in key order: each
    -- expire_task locks a run for update and keeps it until commit, so two
    -- claimers (or a claimer and a complete_tasks batch) meet runs in the same
    -- order and cannot deadlock (tests/python/sql_concurrency/test_claims.py)
    for v_expired in
        select e.run_id, e.step_slug, e.task_index
        from (
            select t.run_id, t.step_slug, t.task_index
            from pgflow.step_tasks as t
            where t.status = 'started'
                and t.visible_at <= v_now
                and t.attempts_count >= t.max_attempts
                and (claim_tasks.flow_slugs is null or t.flow_slug = any(claim_tasks.flow_slugs))
            order by t.visible_at
            limit 100
        ) as e
        order by e.run_id, e.step_slug, e.task_index
    loop
        perform pgflow.expire_task(v_expired.run_id, v_expired.step_slug, v_expired.task_index);
    end loop;

    -- a worker that declared what it serves (serve_steps) claims only those
    -- steps, and only of the flow definition it verified
    v_fenced := exists (select 1 from pgflow.worker_steps as ws where ws.worker_id = claim_tasks.worker_id);

    return query
    with candidates as (
        select t.run_id, t.step_slug, t.task_index, t.status, t.attempts_count, t.claimed_by, t.started_at
        from pgflow.step_tasks as t
        where t.status in ('queued', 'started')
            and t.visible_at <= v_now
            and t.attempts_count < t.max_attempts
            and (claim_tasks.flow_slugs is null or t.flow_slug = any(claim_tasks.flow_slugs))
            and (not v_fenced or exists (
                select 1
                from pgflow.worker_steps as ws
                join pgflow.flows as f on f.flow_slug = ws.flow_slug and f.flow_id = ws.flow_id
                where ws.worker_id = claim_tasks.worker_id
                    and ws.flow_slug = t.flow_slug
                    and ws.step_slug = t.step_slug
            ))
        order by t.visible_at
        limit claim_tasks.max_tasks
        for update skip locked
    ),
    -- an expired lease claimed again: its attempt is on record as lost
    lapsed as (
        insert into pgflow.task_attempts (
            run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome,
            error_message
        )
        select c.run_id, c.step_slug, c.task_index, c.attempts_count, c.claimed_by, c.started_at, v_now,
            'lease_expired', 'lease expired: no result or lease extension within the step timeout'
        from candidates as c
        where c.status = 'started'
        on conflict on constraint task_attempts_pkey do nothing
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
        c.visible_at,
        r.trace_context
    from claimed as c
    join pgflow.runs as r on r.run_id = c.run_id
    order by c.visible_at, c.run_id, c.step_slug, c.task_index;
end;
$$;


-- source: extension/src/620_next_task_visible_at.sql
-- When the next task becomes visible (null when the queue is empty), so an
-- idle worker can sleep exactly until then instead of polling hot.
create function pgflow.next_task_visible_at(flow_slugs text[] default null)
returns timestamptz
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select t.visible_at
    from pgflow.step_tasks as t
    where t.status in ('queued', 'started')
        and (next_task_visible_at.flow_slugs is null or t.flow_slug = any(next_task_visible_at.flow_slugs))
    order by t.visible_at
    limit 1
$$;


-- source: extension/src/630_complete_tasks.sql
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
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_count integer := cardinality(complete_tasks.run_ids);
    v_now timestamptz := pgflow.now();
    v_bad record;
    -- the batch, deduplicated and sorted by task key
    v_batch pgflow.task_result[];
    -- the tasks of the batch that are still unfinished
    v_open pgflow.task_result[];
    v_found integer;
    -- how many tasks of the batch name an attempt that was never claimed
    v_unclaimed integer;
    v_changed integer;
    -- the steps whose last task this batch completed: those with dependents,
    -- and the map steps (their output is assembled from every task)
    v_done pgflow.step_key[];
    v_maps pgflow.step_key[];
    v_ready record;
    -- per run, how many of its steps finished (a run may appear more than once)
    v_settle_runs uuid[];
    v_settle_counts integer[];
begin
    if cardinality(complete_tasks.step_slugs) is distinct from v_count
        or cardinality(complete_tasks.outputs) is distinct from v_count
        or (complete_tasks.task_indexes is not null and cardinality(complete_tasks.task_indexes) <> v_count)
        or (complete_tasks.attempts is not null and cardinality(complete_tasks.attempts) <> v_count)
        or greatest(
            pg_catalog.array_ndims(complete_tasks.run_ids), pg_catalog.array_ndims(complete_tasks.step_slugs),
            pg_catalog.array_ndims(complete_tasks.outputs), pg_catalog.array_ndims(complete_tasks.task_indexes),
            pg_catalog.array_ndims(complete_tasks.attempts)
        ) > 1 then
        raise exception using
            errcode = 'PF009',
            message = 'complete_tasks needs one-dimensional arrays of equal length '
            || '(run_ids, step_slugs, outputs, task_indexes, attempts)';
    end if;
    if coalesce(v_count, 0) = 0 then
        return 0;
    end if;

    -- one value per task, in key order; a task named twice keeps its first output
    select array_agg(
        row(i.run_id, i.step_slug, i.task_index, i.attempt, i.output)::pgflow.task_result
        order by i.run_id, i.step_slug, i.task_index
    )
    into v_batch
    from (
        select distinct on (i.run_id, i.step_slug, coalesce(i.task_index, 0))
            i.run_id, i.step_slug, coalesce(i.task_index, 0) as task_index, i.attempt,
            coalesce(i.output, 'null'::jsonb) as output
        from unnest(
            complete_tasks.run_ids, complete_tasks.step_slugs, complete_tasks.outputs,
            coalesce(complete_tasks.task_indexes, array_fill(null::integer, array[v_count])),
            coalesce(complete_tasks.attempts, array_fill(null::integer, array[v_count]))
        ) with ordinality as i (run_id, step_slug, output, task_index, attempt, position)
        order by i.run_id, i.step_slug, coalesce(i.task_index, 0), i.position
    ) as i;
    select b.attempt, b.run_id, b.step_slug into v_bad
    from unnest(v_batch) as b
    where b.attempt < 1
    limit 1;
    if found then
        perform pgflow.check_attempt(v_bad.attempt, v_bad.run_id, v_bad.step_slug);
    end if;

    -- key share: completions of one run proceed together; fail and cancel,
    -- which take the run for update, wait for them (and they for fail/cancel)
    select u.run_id into v_bad
    from (select distinct b.run_id from unnest(v_batch) as b) as u
    left join (
        select r.run_id from pgflow.runs as r
        where r.run_id in (select b.run_id from unnest(v_batch) as b)
        order by r.run_id
        for key share
    ) as r on r.run_id = u.run_id
    where r.run_id is null
    limit 1;
    if found then
        perform pgflow.raise_unknown_run(v_bad.run_id);
    end if;

    -- The tasks, in key order. Only the unfinished ones change; no need to
    -- read the run's status: a run that is no longer started has no
    -- unfinished task (end_run cancels them under the run lock this call now
    -- shares). The statements below join on primary keys only, so no plan can
    -- wander into the queue's partial indexes.
    select count(t.run_id)::integer,
        count(t.run_id) filter (where t.attempts_count = 0 or b.attempt > t.attempts_count)::integer,
        -- an earlier attempt's result is valid while the task is unfinished
        -- (its lease lapsed, or it was reported failed or timed out), unless
        -- that attempt belongs to before a retry_run (cancelled, or its
        -- completion superseded): the retry asked for the work again
        array_agg(
            row(b.run_id, b.step_slug, b.task_index, b.attempt, b.output)::pgflow.task_result
        ) filter (where t.status in ('queued', 'started') and (
            b.attempt is null
            or (t.status = 'started' and b.attempt = t.attempts_count)
            or not exists (
                select 1 from pgflow.task_attempts as a
                where a.run_id = b.run_id and a.step_slug = b.step_slug and a.task_index = b.task_index
                    and a.attempt = b.attempt and a.outcome in ('cancelled', 'superseded', 'completed')
            )
        ))
    into v_found, v_unclaimed, v_open
    from unnest(v_batch) as b
    left join (
        select t.run_id, t.step_slug, t.task_index, t.status, t.attempts_count
        from pgflow.step_tasks as t
        join unnest(v_batch) as k
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
        order by t.run_id, t.step_slug, t.task_index
        for update of t
    ) as t on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index;
    if v_found < cardinality(v_batch) then
        select b.run_id, b.step_slug, b.task_index into v_bad
        from unnest(v_batch) as b
        where not exists (
            select 1 from pgflow.step_tasks as t
            where t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        )
        limit 1;
        perform pgflow.raise_unknown_task(v_bad.run_id, v_bad.step_slug, v_bad.task_index);
    end if;
    if v_unclaimed > 0 then
        -- nothing has changed yet: the whole batch is refused
        select b.run_id, b.step_slug, b.task_index, b.attempt, t.attempts_count into v_bad
        from unnest(v_batch) as b
        join pgflow.step_tasks as t
            on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        where t.attempts_count = 0 or b.attempt > t.attempts_count
        limit 1;
        perform pgflow.raise_unclaimed_attempt(
            v_bad.run_id, v_bad.step_slug, v_bad.task_index, v_bad.attempt, v_bad.attempts_count
        );
    end if;
    if v_open is null then
        return 0;
    end if;

    -- the steps of these tasks, in key order, before the statement that counts them
    perform 1 from pgflow.step_states as ss
    where (ss.run_id, ss.step_slug) in (select b.run_id, b.step_slug from unnest(v_open) as b)
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
        from unnest(v_open) as b
        where t.run_id = b.run_id
            and t.step_slug = b.step_slug
            and t.task_index = b.task_index
        returning t.run_id, t.step_slug, t.task_index, t.output, t.attempts_count, t.claimed_by,
            t.started_at, coalesce(b.attempt, t.attempts_count) as attempt
    ),
    -- The attempt a task completes on stays in the task row (run_attempts
    -- reads it there), so the usual completion writes no history. A late
    -- result of an earlier attempt, recorded as lease_expired when the task
    -- was claimed again, is the exception.
    recorded as (
        insert into pgflow.task_attempts (
            run_id, step_slug, task_index, attempt, finished_at, outcome
        )
        select c.run_id, c.step_slug, c.task_index, c.attempt, v_now, 'completed'
        from completed as c
        where c.attempt <> c.attempts_count
        on conflict on constraint task_attempts_pkey do update
        set outcome = 'completed', finished_at = excluded.finished_at, error_message = null,
            error_detail = null
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
        array_agg(row(c.run_id, c.flow_slug, c.step_slug)::pgflow.step_key order by c.run_id, c.step_slug)
        filter (where c.done and c.has_dependents),
        array_agg(row(c.run_id, c.flow_slug, c.step_slug)::pgflow.step_key) filter (where c.done and c.is_map)
    into v_changed, v_settle_runs, v_done, v_maps
    from counted as c;

    if v_settle_runs is null then
        return v_changed;
    end if;

    -- A map step's output is the array of its task outputs in element order,
    -- read by a statement after the step lock: a sibling task completed by a
    -- concurrent batch is then committed and visible
    -- (tests/python/sql_concurrency/test_races.py).
    if v_maps is not null then
        update pgflow.step_states as ss
        set output = (
            select pg_catalog.jsonb_agg(t.output order by t.task_index)
            from pgflow.step_tasks as t
            where t.run_id = ss.run_id and t.step_slug = ss.step_slug
        )
        from unnest(v_maps) as d
        where ss.run_id = d.run_id and ss.step_slug = d.step_slug;
    end if;

    -- each completed step counts once against its run, and so does each step
    -- that finished at once when its dependents were released
    v_settle_counts := array_fill(1, array[cardinality(v_settle_runs)]);
    if v_done is not null then
        for v_ready in
            select r.run_id, r.ready
            from pgflow.release_dependents_of(v_done) as r
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


-- source: extension/src/640_complete_task.sql
-- Records a task's result. Exactly once: a finished task, or a task of a run
-- that is no longer started, is left as it is. A call naming an older attempt
-- is still accepted while the task is unfinished, because its result is
-- valid; the current holder's later call is then the no-op. A call must name
-- an attempt that was claimed (PF017 otherwise); without an attempt it means
-- the task's latest claim. Returns the task row when this call completed it;
-- otherwise only its key and status, so a caller learns nothing of a task it
-- did not finish (another worker's output, say).
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
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_task pgflow.step_tasks;
    v_changed integer;
begin
    -- one completion path for one task and for many: a batch of one
    v_changed := pgflow.complete_tasks(
        array[complete_task.run_id], array[complete_task.step_slug], array[complete_task.output],
        array[complete_task.task_index], array[complete_task.attempt]
    );
    select t.* into v_task from pgflow.step_tasks as t
    where t.run_id = complete_task.run_id
        and t.step_slug = complete_task.step_slug
        and t.task_index = coalesce(complete_task.task_index, 0);
    if v_changed = 0 then
        return pgflow.task_status_only(v_task);
    end if;
    return v_task;
end;
$$;


-- source: extension/src/650_exhaust_task.sql
-- A task used its last attempt. The task fails, the step's other tasks are
-- no longer worth running, and the step's when_exhausted policy applies (see
-- give_up_step). The caller holds the run row for update.
create function pgflow.exhaust_task(task pgflow.step_tasks, error_message text)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks;
    v_policy text;
    v_now timestamptz := pgflow.now();
    v_message text;
    v_given record;
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

    perform pgflow.cancel_tasks(v_task.run_id, v_task.step_slug, v_now);
    v_given := pgflow.give_up_step(
        v_task.run_id, v_task.flow_slug, v_task.step_slug, v_policy, 'retries_exhausted', v_message
    );
    if v_given.ready is not null then
        perform pgflow.settle_run(
            v_task.run_id, v_given.finished + pgflow.start_ready_steps(v_task.run_id, v_given.ready)
        );
    end if;
    return v_task;
end;
$$;


-- source: extension/src/655_fail_attempt.sql
-- An attempt of a started task ended without a result: it failed, its lease
-- expired, or it ran past the step's execution_timeout (the outcome). The
-- attempt is recorded; before max_attempts the task is queued again after an
-- exponential backoff, on the last attempt the step's when_exhausted policy
-- applies. The one path of every such end. The caller holds the run row for
-- update and the task row, and has checked that the attempt is current.
create function pgflow.fail_attempt(
    task pgflow.step_tasks, outcome text, error_message text, error_detail text
)
returns pgflow.step_tasks
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_task pgflow.step_tasks := fail_attempt.task;
    v_now timestamptz := pgflow.now();
    v_error text := pg_catalog.left(fail_attempt.error_message, 65536);
    v_delay integer;
begin
    insert into pgflow.task_attempts (
        run_id, step_slug, task_index, attempt, worker_id, claimed_at, finished_at, outcome,
        error_message, error_detail
    )
    values (
        v_task.run_id, v_task.step_slug, v_task.task_index, v_task.attempts_count, v_task.claimed_by,
        v_task.started_at, v_now, fail_attempt.outcome, v_error,
        pg_catalog.left(fail_attempt.error_detail, 65536)
    )
    on conflict on constraint task_attempts_pkey do nothing;

    if v_task.attempts_count >= v_task.max_attempts then
        return pgflow.exhaust_task(v_task, v_error);
    end if;
    select pgflow.retry_delay(s.base_delay, v_task.attempts_count) into v_delay
    from pgflow.steps as s
    where s.flow_slug = v_task.flow_slug and s.step_slug = v_task.step_slug;
    update pgflow.step_tasks as t
    set status = 'queued',
        error_message = v_error,
        claimed_by = null,
        visible_at = v_now + pg_catalog.make_interval(secs => v_delay)
    where t.run_id = v_task.run_id
        and t.step_slug = v_task.step_slug
        and t.task_index = v_task.task_index
    returning t.* into v_task;
    if v_delay = 0 then
        perform pgflow.notify_tasks_ready(v_task.flow_slug);
    end if;
    return v_task;
end;
$$;


-- source: extension/src/660_fail_task.sql
-- Records a failed attempt (see fail_attempt: retry with backoff, or the
-- when_exhausted policy on the last attempt). Only the current holder can
-- fail a task: a call naming another attempt, or for a task that is not
-- started, is stale and ignored (and returns only the task's key and status).
-- Like complete_task, it must name an attempt that was claimed (PF017);
-- without one it means the latest claim. error_detail carries what the worker
-- knows beyond the message (a traceback); both are cut at 65,536 characters.
create function pgflow.fail_task(
    run_id uuid,
    step_slug text,
    error_message text,
    task_index integer default 0,
    attempt integer default null,
    error_detail text default null
)
returns pgflow.step_tasks
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_task pgflow.step_tasks;
begin
    perform pgflow.check_attempt(fail_task.attempt, fail_task.run_id, fail_task.step_slug);
    v_task := pgflow.lock_task(fail_task.run_id, fail_task.step_slug, coalesce(fail_task.task_index, 0));
    if v_task.attempts_count = 0 or fail_task.attempt > v_task.attempts_count then
        perform pgflow.raise_unclaimed_attempt(
            v_task.run_id, v_task.step_slug, v_task.task_index, fail_task.attempt, v_task.attempts_count
        );
    end if;
    -- a started task implies a started run: ending a run cancels its tasks
    if v_task.status <> 'started'
        or fail_task.attempt <> v_task.attempts_count then
        return pgflow.task_status_only(v_task);
    end if;
    return pgflow.fail_attempt(v_task, 'failed', fail_task.error_message, fail_task.error_detail);
end;
$$;


-- source: extension/src/670_extend_leases.sql
-- A worker whose handlers are still running keeps their tasks: each named
-- attempt that is still the task's current one and held by this worker gets
-- a fresh lease of the step's timeout, so the timeout is a heartbeat timeout,
-- not a limit on the work. Returns, per task, what the worker should do:
--   held       keep going (lease_expires_at is the new expiry)
--   timed_out  the attempt ran past the step's execution_timeout: it was
--              failed (and retries, per max_attempts); stop the handler
--   cancelled  the run was cancelled or failed: stop the handler
--   lost       the task moved on (another attempt holds it, or it finished):
--              stop; a late result follows the stale-result rule
-- Overrun attempts are failed first, each under the run-then-task lock order;
-- the extension then locks only task rows, in key order.
create function pgflow.extend_leases(
    worker_id uuid,
    run_ids uuid[],
    step_slugs text[],
    task_indexes integer[],
    attempts integer[]
)
returns table (
    run_id uuid,
    step_slug text,
    task_index integer,
    attempt integer,
    status text,
    lease_expires_at timestamptz
)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
declare
    v_now timestamptz := pgflow.now();
    v_count integer := cardinality(extend_leases.run_ids);
    v_over record;
    v_task pgflow.step_tasks;
    v_timed_out pgflow.task_result[] := '{}'::pgflow.task_result[];
begin
    if extend_leases.worker_id is null
        or cardinality(extend_leases.step_slugs) is distinct from v_count
        or cardinality(extend_leases.task_indexes) is distinct from v_count
        or cardinality(extend_leases.attempts) is distinct from v_count
        or greatest(
            pg_catalog.array_ndims(extend_leases.run_ids), pg_catalog.array_ndims(extend_leases.step_slugs),
            pg_catalog.array_ndims(extend_leases.task_indexes), pg_catalog.array_ndims(extend_leases.attempts)
        ) > 1 then
        raise exception using
            errcode = 'PF009',
            message = 'extend_leases needs a worker_id and one-dimensional arrays of equal length '
            || '(run_ids, step_slugs, task_indexes, attempts)';
    end if;
    if coalesce(v_count, 0) = 0 then
        return;
    end if;

    for v_over in
        select b.run_id, b.step_slug, b.task_index, b.attempt, s.execution_timeout
        from unnest(
            extend_leases.run_ids, extend_leases.step_slugs, extend_leases.task_indexes, extend_leases.attempts
        ) as b (run_id, step_slug, task_index, attempt)
        join pgflow.step_tasks as t
            on t.run_id = b.run_id and t.step_slug = b.step_slug and t.task_index = b.task_index
        join pgflow.steps as s on s.flow_slug = t.flow_slug and s.step_slug = t.step_slug
        where t.status = 'started'
            and t.attempts_count = b.attempt
            and t.claimed_by = extend_leases.worker_id
            and t.started_at + pg_catalog.make_interval(secs => s.execution_timeout) <= v_now
        order by b.run_id, b.step_slug, b.task_index
    loop
        v_task := pgflow.lock_task(v_over.run_id, v_over.step_slug, v_over.task_index, missing_ok => true);
        if v_task.status = 'started' and v_task.attempts_count = v_over.attempt then
            perform pgflow.fail_attempt(
                v_task, 'timed_out',
                pg_catalog.format(
                    'execution timeout: attempt %s ran longer than the step''s execution_timeout of %s s',
                    v_over.attempt, v_over.execution_timeout
                ),
                null
            );
            v_timed_out := v_timed_out
                || row(v_over.run_id, v_over.step_slug, v_over.task_index, v_over.attempt, null)::pgflow.task_result;
        end if;
    end loop;

    return query
    with keys as (
        select b.run_id, b.step_slug, coalesce(b.task_index, 0) as task_index, b.attempt
        from unnest(
            extend_leases.run_ids, extend_leases.step_slugs, extend_leases.task_indexes, extend_leases.attempts
        ) as b (run_id, step_slug, task_index, attempt)
    ),
    locked as (
        select t.run_id, t.step_slug, t.task_index
        from pgflow.step_tasks as t
        join keys as k
            on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
        where t.status = 'started'
            and t.attempts_count = k.attempt
            and t.claimed_by = extend_leases.worker_id
        order by t.run_id, t.step_slug, t.task_index
        for no key update of t
    ),
    held as (
        update pgflow.step_tasks as t
        set visible_at = v_now + pg_catalog.make_interval(secs => s.timeout)
        from locked as l, pgflow.steps as s
        where t.run_id = l.run_id
            and t.step_slug = l.step_slug
            and t.task_index = l.task_index
            and s.flow_slug = t.flow_slug
            and s.step_slug = t.step_slug
        returning t.run_id, t.step_slug, t.task_index, t.visible_at
    )
    select k.run_id, k.step_slug, k.task_index, k.attempt,
        case
            when h.run_id is not null then 'held'
            when exists (
                select 1 from unnest(v_timed_out) as o
                where o.run_id = k.run_id and o.step_slug = k.step_slug and o.task_index = k.task_index
            ) then 'timed_out'
            when t.status = 'cancelled' then 'cancelled'
            else 'lost'
        end,
        h.visible_at
    from keys as k
    left join held as h
        on h.run_id = k.run_id and h.step_slug = k.step_slug and h.task_index = k.task_index
    left join pgflow.step_tasks as t
        on t.run_id = k.run_id and t.step_slug = k.step_slug and t.task_index = k.task_index
    order by k.run_id, k.step_slug, k.task_index;
end;
$$;


-- source: extension/src/700_register_worker.sql
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
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_worker pgflow.workers;
begin
    if register_worker.worker_id is null then
        raise exception using errcode = 'PF009', message = 'register_worker needs a worker_id';
    end if;
    perform pgflow.check_list('flow_slugs', register_worker.flow_slugs);
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
    returning w.* into v_worker;
    return v_worker;
end;
$$;


-- source: extension/src/710_heartbeat_worker.sql
-- Returns false when the worker is unknown or was stopped, so it can re-register.
create function pgflow.heartbeat_worker(worker_id uuid)
returns boolean
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    with beat as (
        update pgflow.workers as w
        set last_heartbeat_at = pgflow.now()
        where w.worker_id = heartbeat_worker.worker_id and w.stopped_at is null
        returning 1
    )
    select exists (select 1 from beat)
$$;


-- source: extension/src/720_stop_worker.sql
create function pgflow.stop_worker(worker_id uuid)
returns void
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    update pgflow.workers as w
    set stopped_at = pgflow.now()
    where w.worker_id = stop_worker.worker_id and w.stopped_at is null
$$;


-- source: extension/src/730_prune_workers.sql
-- Forgets workers that stopped, or stopped heartbeating, longer ago than older_than.
create function pgflow.prune_workers(older_than interval)
returns bigint
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    with deleted as (
        delete from pgflow.workers as w
        where coalesce(w.stopped_at, w.last_heartbeat_at) < pgflow.now() - prune_workers.older_than
        returning 1
    )
    select count(*) from deleted
$$;


-- source: extension/src/740_serve_steps.sql
-- A worker declares the steps of a flow it has handlers for, after checking
-- that the flow is deployed with the shape its code has (shape_hash; raises
-- PF008 otherwise, as verify_flow does). From then on claim_tasks gives it
-- only tasks of the steps it serves (handler-less steps stay queued for
-- workers in other languages), and nothing of the flow once it has been
-- dropped and registered again. Calling it again replaces the declaration for
-- that flow. Returns the flow registration served (flows.flow_id).
create function pgflow.serve_steps(
    worker_id uuid, flow_slug text, shape_hash text, step_slugs text[]
)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_flow_id bigint;
begin
    perform pgflow.check_list('step_slugs', serve_steps.step_slugs);
    perform 1 from pgflow.workers as w where w.worker_id = serve_steps.worker_id;
    if not found then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'worker %s is not registered (call register_worker first)', serve_steps.worker_id
            );
    end if;
    -- key share: a concurrent drop_flow waits, so the registration read is current
    select f.flow_id into v_flow_id
    from pgflow.flows as f where f.flow_slug = serve_steps.flow_slug
    for key share;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(serve_steps.flow_slug));
    end if;
    if pgflow.flow_shape_hash(serve_steps.flow_slug) is distinct from serve_steps.shape_hash then
        raise exception using
            errcode = 'PF008',
            message = pg_catalog.format(
                'flow %L in the database does not match the definition this worker serves '
                || '(database shape %s, worker %s)',
                serve_steps.flow_slug, pg_catalog.left(pgflow.flow_shape_hash(serve_steps.flow_slug), 12),
                pgflow.clip(pg_catalog.left(coalesce(serve_steps.shape_hash, 'null'), 12))
            ),
            hint = 'verify_flow with the definition names the differences';
    end if;
    perform pgflow.check_steps_exist(serve_steps.flow_slug, serve_steps.step_slugs);
    delete from pgflow.worker_steps as ws
    where ws.worker_id = serve_steps.worker_id and ws.flow_slug = serve_steps.flow_slug;
    insert into pgflow.worker_steps (worker_id, flow_slug, step_slug, flow_id)
    select distinct serve_steps.worker_id, serve_steps.flow_slug, s.slug, v_flow_id
    from unnest(coalesce(serve_steps.step_slugs, '{}')) as s (slug);
    return v_flow_id;
end;
$$;


-- source: extension/src/745_stale_flows.sql
-- The flows a worker serves whose registration it verified is gone (dropped,
-- or dropped and registered again): it claims nothing of them any more and
-- should say so, once, and be restarted with the current code.
create function pgflow.stale_flows(worker_id uuid)
returns text[]
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.array_agg(distinct ws.flow_slug order by ws.flow_slug), '{}')
    from pgflow.worker_steps as ws
    left join pgflow.flows as f on f.flow_slug = ws.flow_slug and f.flow_id = ws.flow_id
    where ws.worker_id = stale_flows.worker_id and f.flow_slug is null
$$;


-- source: extension/src/900_privileges.sql
-- Privileges. Functions default to EXECUTE for PUBLIC and nothing here should
-- be callable or writable by just anyone: everything is revoked, then granted
-- to two roles. Every function pins search_path to pg_catalog, pg_temp
-- (pg_temp last: with an empty search_path PostgreSQL still resolves type
-- names in pg_temp first, where a caller's temporary domain could run code as
-- the owner) and qualifies every name, so a caller cannot redirect them.
-- pgflow.set_test_clock and pgflow.test_clock are granted to nobody.
do $$
begin
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_worker') then
        create role pgflow_worker nologin;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_client') then
        create role pgflow_client nologin;
    end if;
    if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgflow_operator') then
        create role pgflow_operator nologin;
    end if;
end;
$$;

revoke all on schema pgflow from public;
revoke all on all tables in schema pgflow from public;
revoke all on all functions in schema pgflow from public;

grant usage on schema pgflow to pgflow_worker, pgflow_client, pgflow_operator;

-- a worker claims, reports and registers; it reads nothing directly
grant execute on function
pgflow.claim_tasks(uuid, integer, text[]),
pgflow.complete_task(uuid, text, jsonb, integer, integer),
pgflow.complete_tasks(uuid[], text[], jsonb[], integer[], integer[]),
pgflow.fail_task(uuid, text, text, integer, integer, text),
pgflow.next_task_visible_at(text[]),
pgflow.register_worker(uuid, text[], text, integer),
pgflow.heartbeat_worker(uuid),
pgflow.stop_worker(uuid),
pgflow.extend_leases(uuid, uuid[], text[], integer[], integer[]),
pgflow.serve_steps(uuid, text, text, text[]),
pgflow.stale_flows(uuid),
-- read-only: lets a worker refuse to serve a flow whose deployed shape differs
pgflow.verify_flow(text, text, text[], jsonb),
pgflow.flow_shape_hash(text),
pgflow.vocabulary()
to pgflow_worker;

-- a client starts, cancels and reads runs and definitions
grant execute on function
pgflow.start_flow(text, jsonb, uuid, jsonb),
pgflow.cancel_run(uuid),
pgflow.flow_shape(text),
pgflow.flow_shape_hash(text),
pgflow.vocabulary(),
pgflow.run_attempts(uuid),
-- recovering a run is not new work: an application may resume what failed
pgflow.retry_run(uuid, text[])
to pgflow_client;
grant select on all tables in schema pgflow to pgflow_client;

-- an operator runs day-2 operations: everything a client does, plus taking a
-- flow out of (and back into) service and pruning history
grant pgflow_client to pgflow_operator;
grant execute on function
pgflow.retire_flow(text, boolean),
pgflow.unretire_flow(text),
pgflow.prune_runs(interval, integer),
pgflow.prune_workers(interval)
to pgflow_operator;


-- source: extension/extension_only.sql
-- Mark user data so pg_dump includes it (extension member tables are skipped otherwise).
select pg_catalog.pg_extension_config_dump('pgflow.flows', '');
select pg_catalog.pg_extension_config_dump('pgflow.steps', '');
select pg_catalog.pg_extension_config_dump('pgflow.deps', '');
select pg_catalog.pg_extension_config_dump('pgflow.runs', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_states', '');
select pg_catalog.pg_extension_config_dump('pgflow.step_tasks', '');
select pg_catalog.pg_extension_config_dump('pgflow.workers', '');
select pg_catalog.pg_extension_config_dump('pgflow.task_attempts', '');
select pg_catalog.pg_extension_config_dump('pgflow.worker_steps', '');

