create function pgflow.notify_run_finished(run_id uuid, flow_slug text, status text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pg_catalog.pg_notify(
        'pgflow_runs',
        pg_catalog.jsonb_build_object(
            'run_id', notify_run_finished.run_id,
            'flow_slug', notify_run_finished.flow_slug,
            'status', notify_run_finished.status
        )::text
    );
end;
$$;
