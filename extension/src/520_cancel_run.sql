-- Cancels a started run (see end_run). Cancelling a finished run changes
-- nothing and returns it as it is.
create function pgflow.cancel_run(run_id uuid)
returns pgflow.runs
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    perform 1 from pgflow.run_rows as r where r.run_id = cancel_run.run_id for update;
    if not found then
        perform pgflow.raise_unknown_run(cancel_run.run_id);
    end if;
    return pgflow.end_run(cancel_run.run_id, 'cancelled', null);
end;
$$;
