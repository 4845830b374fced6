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
