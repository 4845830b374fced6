-- Decrements the waiting-dependency counter of every unstarted dependent of
-- the given finished (completed or skipped) steps; returns, per run, the
-- dependents that became ready.
create function pgflow.release_dependents_of(steps pgflow.step_key[])
returns table (run_id uuid, ready text[])
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    -- in key order first: batches releasing dependents in several runs must
    -- not take them in opposite orders
    perform 1
    from pgflow.step_state_rows as ss
    join unnest(release_dependents_of.steps) as f on ss.run_id = f.run_id
    join pgflow.deps as d
        on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug and d.step_slug = ss.step_slug
    where ss.status = 'created'
    order by ss.run_id, ss.step_slug
    for no key update of ss;

    return query
    with released as (
        update pgflow.step_state_rows as ss
        set remaining_deps = ss.remaining_deps - x.deps
        from (
            select f.run_id, d.step_slug, count(*)::integer as deps
            from unnest(release_dependents_of.steps) as f
            join pgflow.deps as d on d.flow_slug = f.flow_slug and d.dep_slug = f.step_slug
            group by f.run_id, d.step_slug
        ) as x
        where ss.run_id = x.run_id
            and ss.step_slug = x.step_slug
            and ss.status = 'created'
        returning ss.run_id, ss.step_slug, ss.remaining_deps
    )
    select f.run_id, coalesce((
        select array_agg(r.step_slug order by r.step_slug)
        from released as r
        where r.run_id = f.run_id and r.remaining_deps = 0
    ), '{}')
    from unnest(release_dependents_of.steps) as f
    group by f.run_id;
end;
$$;
