-- A path step -> dep -> ... -> step if depending on deps would close a cycle,
-- else null. Reachability is checked first with a visited set (linear in the
-- flow's size); only when a cycle exists is one shortest path spelled out,
-- breadth first, stopping at the first hit.
create function pgflow.find_cycle(flow_slug text, step_slug text, deps text[])
returns text[]
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    if not exists (
        with recursive upward (slug) as (
            select d.slug from unnest(find_cycle.deps) as d (slug)
            union
            select e.dep_slug
            from upward as u
            join pgflow.deps as e
                on e.flow_slug = find_cycle.flow_slug and e.step_slug = u.slug
        )
        select 1 from upward as u where u.slug = find_cycle.step_slug
    ) then
        return null;
    end if;
    return (
        with recursive upward (slug, path) as (
            select d.slug, array[find_cycle.step_slug, d.slug]
            from unnest(find_cycle.deps) as d (slug)
            union all
            select e.dep_slug, u.path || e.dep_slug
            from upward as u
            join pgflow.deps as e
                on e.flow_slug = find_cycle.flow_slug and e.step_slug = u.slug
            where u.slug <> find_cycle.step_slug
        )
        select u.path from upward as u
        where u.slug = find_cycle.step_slug
        limit 1
    );
end;
$$;
