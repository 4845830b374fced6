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
