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
