-- The input object of a step: the run input under "run" and the output of
-- every completed dependency under its slug (skipped ones are absent).
create function pgflow.step_input(run_id uuid, flow_slug text, step_slug text, run_input jsonb)
returns jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    return pg_catalog.jsonb_build_object('run', step_input.run_input) || coalesce((
        select pg_catalog.jsonb_object_agg(d.dep_slug, ss.output)
        from pgflow.deps as d
        join pgflow.step_states as ss
            on ss.run_id = step_input.run_id and ss.step_slug = d.dep_slug
        where d.flow_slug = step_input.flow_slug
            and d.step_slug = step_input.step_slug
            and ss.status = 'completed'
    ), '{}'::jsonb);
end;
$$;
