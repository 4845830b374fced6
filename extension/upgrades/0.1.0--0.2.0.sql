-- Hand-written part of the upgrade 0.1.0 -> 0.2.0: changes to tables and types
-- that 0.1.0 already has, and data changes. Nothing else belongs here: the
-- build (scripts/build_sql.py) adds a drop for each function whose signature
-- or return type changed, creates every missing table and type of
-- extension/src before this part and every missing index after it, and
-- re-applies every function, comment and privilege (create or replace).
--
-- The same text also runs in the plain script, on every application of it
-- (over 0.1.0, over 0.2.0 and on a fresh install): write each statement so
-- that running it again changes nothing (add column if not exists, drop ... if
-- exists, do blocks that check the catalog, updates that match no row the
-- second time). New columns go at the end of their table in extension/src too,
-- so fresh and upgraded tables have the same column order.
-- tests/python/cli/test_upgrade.py compares a fresh 0.2.0 with an upgraded
-- 0.1.0 and names whatever differs.
--
-- New in 0.2.0 and created by the build: pgflow.test_clock, task_attempts and
-- worker_steps, the types task_result and step_key.

-- Step options have no column defaults any more: add_step applies the ones of
-- pgflow.vocabulary().
alter table pgflow.steps alter column step_type drop default;
alter table pgflow.steps alter column when_unmet drop default;
alter table pgflow.steps alter column when_exhausted drop default;

-- Checks read the one list of valid values (pgflow.vocabulary, pgflow.slug_is_valid)
-- instead of repeating it. Each is replaced only while its definition differs, so
-- a second run does not lock and re-check the tables again.
do $$
declare
    v_check record;
begin
    for v_check in
        select c.tbl::regclass as tbl, c.name, c.def
        from (values
            ('pgflow.flows', 'flow_slug_is_valid',
            'CHECK (pgflow.slug_is_valid(flow_slug))'),
            ('pgflow.steps', 'step_slug_is_valid',
            'CHECK ((pgflow.slug_is_valid(step_slug) AND (NOT ((pgflow.vocabulary() -> '
            || '''reserved_step_slugs''::text) ? step_slug))))'),
            ('pgflow.steps', 'step_type_is_valid',
            'CHECK (((pgflow.vocabulary() -> ''step_types''::text) ? step_type))'),
            ('pgflow.steps', 'when_unmet_is_valid',
            'CHECK (((pgflow.vocabulary() -> ''policies''::text) ? when_unmet))'),
            ('pgflow.steps', 'when_exhausted_is_valid',
            'CHECK (((pgflow.vocabulary() -> ''policies''::text) ? when_exhausted))')
        ) as c (tbl, name, def)
        where not exists (
            select 1 from pg_catalog.pg_constraint as k
            where k.conrelid = c.tbl::regclass and k.conname = c.name
                and pg_catalog.pg_get_constraintdef(k.oid) = c.def
        )
    loop
        execute pg_catalog.format(
            'alter table %s drop constraint if exists %I', v_check.tbl, v_check.name
        );
        execute pg_catalog.format(
            'alter table %s add constraint %I %s', v_check.tbl, v_check.name, v_check.def
        );
    end loop;
end;
$$;

-- Steps may limit how long one attempt runs, whatever its lease extensions.
alter table pgflow.steps add column if not exists execution_timeout integer;
do $$
begin
    if not exists (
        select 1 from pg_catalog.pg_constraint as k
        where k.conrelid = 'pgflow.steps'::regclass and k.conname = 'execution_timeout_is_positive'
    ) then
        alter table pgflow.steps
        add constraint execution_timeout_is_positive check (execution_timeout >= 1);
    end if;
end;
$$;

-- Each registration of a flow slug gets its own id, which fences workers that
-- verified an earlier registration (existing flows are numbered now).
alter table pgflow.flows add column if not exists flow_id bigint generated always as identity;
do $$
begin
    if not exists (
        select 1 from pg_catalog.pg_constraint as k
        where k.conrelid = 'pgflow.flows'::regclass and k.conname = 'flow_id_is_unique'
    ) then
        alter table pgflow.flows add constraint flow_id_is_unique unique (flow_id);
    end if;
end;
$$;

-- Runs record their retries (retry_run); flows may be retired (retire_flow).
-- The table pgflow.runs is pgflow.run_rows since 0.3.0: the part that renames
-- it (0.2.0--0.3.0.before.sql) runs before this one in the plain script, and
-- 0.1.0 extensions take the frozen history/pgflow--0.1.0--0.2.0.sql.
alter table pgflow.run_rows add column if not exists retry_count integer not null default 0;
alter table pgflow.run_rows add column if not exists retried_at timestamptz;
do $$
begin
    if not exists (
        select 1 from pg_catalog.pg_constraint as k
        where k.conrelid = 'pgflow.run_rows'::regclass and k.conname = 'retried_at_only_when_retried'
    ) then
        alter table pgflow.run_rows
        add constraint retried_at_only_when_retried check ((retried_at is not null) = (retry_count > 0));
    end if;
end;
$$;
alter table pgflow.flows add column if not exists retired_at timestamptz;

-- A run carries its caller's trace context to the handlers.
alter table pgflow.run_rows add column if not exists trace_context jsonb;
do $$
begin
    if not exists (
        select 1 from pg_catalog.pg_constraint as k
        where k.conrelid = 'pgflow.run_rows'::regclass and k.conname = 'trace_context_is_an_object'
    ) then
        alter table pgflow.run_rows add constraint trace_context_is_an_object check (
            trace_context is null or pg_catalog.jsonb_typeof(trace_context) = 'object'
        );
    end if;
end;
$$;
