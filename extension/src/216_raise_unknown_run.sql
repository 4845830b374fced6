-- The errors for a run or a task a call names but that does not exist, worded
-- once for every entry point that can raise them.
create function pgflow.raise_unknown_run(run_id uuid)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = 'PF010',
        message = pg_catalog.format('run %s does not exist', raise_unknown_run.run_id);
end;
$$;
