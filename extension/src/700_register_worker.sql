-- Worker registration and heartbeats: what operators look at to tell live
-- workers from dead ones. Leases, not heartbeats, decide when a task held by a
-- dead worker is claimable again.
create function pgflow.register_worker(
    worker_id uuid,
    flow_slugs text[] default null,
    hostname text default null,
    pid integer default null
)
returns pgflow.workers
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_worker pgflow.workers;
begin
    if register_worker.worker_id is null then
        raise exception using errcode = 'PF009', message = 'register_worker needs a worker_id';
    end if;
    perform pgflow.check_list('flow_slugs', register_worker.flow_slugs);
    insert into pgflow.workers as w (
        worker_id, flow_slugs, hostname, pid, started_at, last_heartbeat_at
    )
    values (
        register_worker.worker_id, register_worker.flow_slugs, register_worker.hostname,
        register_worker.pid, pgflow.now(), pgflow.now()
    )
    on conflict on constraint workers_pkey do update
    set flow_slugs = excluded.flow_slugs,
        hostname = excluded.hostname,
        pid = excluded.pid,
        last_heartbeat_at = excluded.last_heartbeat_at,
        stopped_at = null
    returning w.* into v_worker;
    return v_worker;
end;
$$;
