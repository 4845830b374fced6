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
