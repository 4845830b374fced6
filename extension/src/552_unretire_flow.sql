-- Takes a retired flow back into service: start_flow accepts it again.
create function pgflow.unretire_flow(flow_slug text)
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
    set retired_at = null
    where f.flow_slug = unretire_flow.flow_slug
    returning f.* into v_flow;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(unretire_flow.flow_slug));
    end if;
    return v_flow;
end;
$$;
