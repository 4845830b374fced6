-- Ends a started run as failed or cancelled: every unfinished task and step
-- of it is cancelled, so nothing of it stays claimable and late results for
-- it become no-ops, and waiting clients are told. The caller holds the run
-- row for update. Returns the run; a run that had already ended is returned
-- unchanged.
create function pgflow.end_run(run_id uuid, status text, error_message text)
returns pgflow.runs
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_now timestamptz := pgflow.now();
    v_flow_slug text;
    v_run pgflow.runs;
begin
    update pgflow.run_rows as r
    set status = end_run.status,
        failed_at = case when end_run.status = 'failed' then v_now end,
        cancelled_at = case when end_run.status = 'cancelled' then v_now end,
        error_message = end_run.error_message
    where r.run_id = end_run.run_id and r.status = 'started'
    returning r.flow_slug into v_flow_slug;
    if found then
        perform pgflow.cancel_tasks(end_run.run_id, null, v_now);
        update pgflow.step_state_rows as ss
        set status = 'cancelled', cancelled_at = v_now
        where ss.run_id = end_run.run_id and ss.status in ('created', 'started');
        perform pgflow.notify_run_finished(end_run.run_id, v_flow_slug, end_run.status);
    end if;
    select r.* into v_run from pgflow.runs as r where r.run_id = end_run.run_id;
    return v_run;
end;
$$;
