-- Starts a run: one step_states row per step, then the root steps start. A
-- caller-chosen run_id is an idempotency key: starting it again returns the
-- existing run, even when two callers race. trace_context (an object of at
-- most 4 kB, e.g. {"traceparent": "00-..."}) is handed to every task's
-- handler with its claim, so tracing follows a run across processes.
-- priority (null: 0) is copied to every task of the run: among claimable
-- tasks, a higher priority is claimed first (equal ones in visible order).
create function pgflow.start_flow(
    flow_slug text,
    input jsonb default '{}',
    run_id uuid default null,
    trace_context jsonb default null,
    priority integer default 0
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
    v_secret_input text[];
    v_plain text;
begin
    if start_flow.run_id is not null then
        select r.* into v_run from pgflow.runs as r where r.run_id = start_flow.run_id;
        if found then
            return pgflow.existing_run(v_run, start_flow.flow_slug);
        end if;
    end if;

    -- key share: a concurrent drop_flow waits for this run instead of orphaning it
    select f.retired_at, f.secret_input into v_retired_at, v_secret_input
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

    -- the database must never hold a declared secret in clear: a caller that
    -- did not seal it (no codec, another language) is refused, naming only the path
    if v_secret_input is not null then
        v_plain := pgflow.plain_secret_path(v_input, v_secret_input);
        if v_plain is not null then
            raise exception using
                errcode = 'PF031',
                message = pg_catalog.format(
                    'the run input of flow %L holds a plain value at the secret path %L',
                    start_flow.flow_slug, v_plain
                ),
                hint = 'seal secret values with a codec before starting the run (pgflow''s Client does, given a key)';
        end if;
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

    insert into pgflow.run_rows as r (
        run_id, flow_slug, input, remaining_steps, started_at, trace_context, priority
    )
    values (
        coalesce(start_flow.run_id, pg_catalog.gen_random_uuid()),
        start_flow.flow_slug, v_input, v_steps, v_now, start_flow.trace_context,
        coalesce(start_flow.priority, 0)
    )
    on conflict on constraint run_rows_pkey do nothing
    returning r.run_id into v_run.run_id;
    if not found then
        -- another transaction inserted the same run_id and committed first
        select r.* into v_run from pgflow.runs as r where r.run_id = start_flow.run_id;
        return pgflow.existing_run(v_run, start_flow.flow_slug);
    end if;

    insert into pgflow.step_state_rows (run_id, flow_slug, step_slug, remaining_deps, created_at)
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
