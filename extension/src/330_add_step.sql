-- Adds a step to a flow. Dependencies must already exist, so steps arrive in
-- topological order and a new step can never close a cycle; re-adding an
-- existing step is a no-op when identical, a cycle error when its new deps
-- would loop back to it (the seeds' pitfall 1.3), and a shape mismatch
-- otherwise. A flow that has runs takes no new steps: its shape is frozen.
-- Flow control (concurrency, concurrency_key, rate_limit, rate_period) is not
-- shape: re-adding an existing step applies the limits it states (none: the
-- step's limits are cleared), with a NOTICE when they change, since running
-- a migration is an explicit act; see pgflow.set_step_limits.
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
    execution_timeout integer default null,
    concurrency integer default null,
    concurrency_key text[] default null,
    rate_limit integer default null,
    rate_period integer default null,
    secret_output text[] default null,
    max_output_bytes integer default null
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
    v_secret_output text[] := pgflow.secret_paths(add_step.flow_slug, add_step.step_slug, 'secret_output', add_step.secret_output);
    v_secrets text[];
    v_secret_read text;
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
    perform pgflow.check_step_limits(
        add_step.flow_slug, add_step.step_slug, add_step.concurrency, add_step.concurrency_key,
        add_step.rate_limit, add_step.rate_period
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
    perform pgflow.check_option(
        add_step.flow_slug, add_step.step_slug, 'max_output_bytes', add_step.max_output_bytes, 1
    );
    -- a condition is tested by the database, which holds secrets only sealed:
    -- one that reads a secret path of the run input or of a dependency's
    -- output could never mean what it says
    if add_step.run_if is not null or add_step.run_unless is not null then
        v_secrets := array(
            select case when p.path = '$' then 'run' else 'run.' || p.path end
            from unnest(v_flow.secret_input) as p (path)
        ) || array(
            select case when p.path = '$' then s.step_slug else s.step_slug || '.' || p.path end
            from unnest(v_deps) as d (slug)
            join pgflow.steps as s on s.flow_slug = add_step.flow_slug and s.step_slug = d.slug
            cross join lateral unnest(s.secret_output) as p (path)
        );
        v_secret_read := coalesce(
            pgflow.condition_secret_path(add_step.run_if, v_secrets),
            pgflow.condition_secret_path(add_step.run_unless, v_secrets)
        );
        if v_secret_read is not null then
            raise exception using
                errcode = 'PF030',
                message = pg_catalog.format(
                    'the condition of step %L of flow %L reads the secret path %L',
                    add_step.step_slug, add_step.flow_slug, v_secret_read
                ),
                hint = 'the database holds secrets only sealed: test a value that is not secret';
        end if;
    end if;
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
    end || case
        when v_secret_output is not null
            then pg_catalog.jsonb_build_object('secret_output', v_secret_output)
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
        if pgflow.apply_step_limits(
            add_step.flow_slug, add_step.step_slug, add_step.concurrency, add_step.concurrency_key,
            add_step.rate_limit, add_step.rate_period
        ) then
            raise notice '%', pg_catalog.format(
                'flow %s, step %s: flow control set to concurrency %s, concurrency_key %s, rate_limit %s, rate_period %s',
                add_step.flow_slug, add_step.step_slug, coalesce(add_step.concurrency::text, 'null'),
                coalesce(add_step.concurrency_key::text, 'null'), coalesce(add_step.rate_limit::text, 'null'),
                coalesce(add_step.rate_period::text, 'null')
            );
        end if;
        -- operational, not shape: each registration sets what it declares
        if v_step.max_output_bytes is distinct from add_step.max_output_bytes then
            update pgflow.steps as s set max_output_bytes = add_step.max_output_bytes
            where s.flow_slug = add_step.flow_slug and s.step_slug = add_step.step_slug
            returning s.* into v_step;
        end if;
        return v_step;
    end if;

    if exists (select 1 from pgflow.run_rows as r where r.flow_slug = add_step.flow_slug) then
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
        run_if, run_unless, when_unmet, when_exhausted, options, conditions, execution_timeout,
        secret_output, max_output_bytes
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
        add_step.execution_timeout,
        v_secret_output,
        add_step.max_output_bytes
    )
    returning s.* into v_step;

    insert into pgflow.deps (flow_slug, dep_slug, step_slug)
    select add_step.flow_slug, d.slug, add_step.step_slug
    from unnest(v_deps) as d (slug);

    perform pgflow.apply_step_limits(
        add_step.flow_slug, add_step.step_slug, add_step.concurrency, add_step.concurrency_key,
        add_step.rate_limit, add_step.rate_period
    );
    return v_step;
end;
$$;
