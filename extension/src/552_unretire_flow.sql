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
