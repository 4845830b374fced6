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
