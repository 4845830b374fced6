-- An idempotent start_flow hit an existing run: fine if it is the same flow.
create function pgflow.existing_run(run pgflow.runs, flow_slug text)
returns pgflow.runs
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    if (existing_run.run).flow_slug <> existing_run.flow_slug then
        raise exception using
            errcode = 'PF014',
            message = pg_catalog.format(
                'run %s already exists for flow %L, not for flow %s',
                (existing_run.run).run_id, (existing_run.run).flow_slug, pgflow.clip(existing_run.flow_slug)
            );
    end if;
    return existing_run.run;
end;
$$;
