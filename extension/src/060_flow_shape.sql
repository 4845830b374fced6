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
set search_path = pg_catalog, pg_temp
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
        detail = pg_catalog.concat_ws(
            '; ',
            'steps only in the database: ' || v_only_db,
            'steps only in the definition: ' || pgflow.clip(v_only_given)
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
