-- The same for one run.
create function pgflow.settle_run(run_id uuid, finished_steps integer)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if settle_run.finished_steps <> 0 then
        perform pgflow.settle_runs(array[settle_run.run_id], array[settle_run.finished_steps]);
    end if;
end;
$$;
