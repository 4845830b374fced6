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
