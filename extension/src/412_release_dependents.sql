-- The same for one finished step; returns the dependents that became ready.
create function pgflow.release_dependents(run_id uuid, flow_slug text, step_slug text)
returns text[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    return (
        select r.ready
        from pgflow.release_dependents_of(array[
            row(
                release_dependents.run_id, release_dependents.flow_slug, release_dependents.step_slug
            )::pgflow.step_key
        ]) as r
    );
end;
$$;
