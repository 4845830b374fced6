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
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    select pgflow.check_list('flow_slugs', register_worker.flow_slugs);
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
    returning w.*
$$;

-- Returns false when the worker is unknown or was stopped, so it can re-register.
create function pgflow.heartbeat_worker(worker_id uuid)
returns boolean
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    with beat as (
        update pgflow.workers as w
        set last_heartbeat_at = pgflow.now()
        where w.worker_id = heartbeat_worker.worker_id and w.stopped_at is null
        returning 1
    )
    select exists (select 1 from beat)
$$;

create function pgflow.stop_worker(worker_id uuid)
returns void
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    update pgflow.workers as w
    set stopped_at = pgflow.now()
    where w.worker_id = stop_worker.worker_id and w.stopped_at is null
$$;

-- Forgets workers that stopped, or stopped heartbeating, longer ago than older_than.
create function pgflow.prune_workers(older_than interval)
returns bigint
language sql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
    with deleted as (
        delete from pgflow.workers as w
        where coalesce(w.stopped_at, w.last_heartbeat_at) < pgflow.now() - prune_workers.older_than
        returning 1
    )
    select count(*) from deleted
$$;
