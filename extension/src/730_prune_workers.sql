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
