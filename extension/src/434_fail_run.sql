-- Fails a step and its run (see end_run).
create function pgflow.fail_run(run_id uuid, step_slug text, error_message text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    update pgflow.step_state_rows as ss
    set status = 'failed', failed_at = pgflow.now(), error_message = fail_run.error_message
    where ss.run_id = fail_run.run_id
        and ss.step_slug = fail_run.step_slug
        and ss.status in ('created', 'started');
    perform pgflow.end_run(fail_run.run_id, 'failed', fail_run.error_message);
end;
$$;
