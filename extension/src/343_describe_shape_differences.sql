-- What differs between a flow's shape in the database and a definition's
-- (both as flow_shape returns them): every flow option, every step only on
-- one side, and every option of a step on both sides, one line each, so a
-- mismatch message names what to fix rather than two hashes.
create function pgflow.describe_shape_differences(in_database jsonb, given jsonb)
returns text[]
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    with db_steps as (
        select e.value ->> 'step_slug' as slug, e.value as step
        from pg_catalog.jsonb_array_elements(coalesce(describe_shape_differences.in_database -> 'steps', '[]'))
            as e
    ),
    given_steps as (
        select e.value ->> 'step_slug' as slug, e.value as step
        from pg_catalog.jsonb_array_elements(coalesce(describe_shape_differences.given -> 'steps', '[]'))
            as e
        where pg_catalog.jsonb_typeof(e.value) = 'object'
    ),
    flow_lines as (
        select 1 as part, k.key as sort_key, pgflow.describe_difference(
            k.key, describe_shape_differences.in_database -> k.key, describe_shape_differences.given -> k.key
        ) as line
        from (
            select o.key from pg_catalog.jsonb_object_keys(describe_shape_differences.in_database) as o (key)
            union
            select o.key from pg_catalog.jsonb_object_keys(describe_shape_differences.given) as o (key)
        ) as k
        where k.key not in ('steps', 'flow_slug')
    ),
    step_lines as (
        select 2 as part, coalesce(d.slug, g.slug) as sort_key,
            case
                when g.slug is null then pg_catalog.format('step %s only in the database', pgflow.clip(d.slug))
                when d.slug is null then pg_catalog.format('step %s only in the definition', pgflow.clip(g.slug))
            end as line
        from db_steps as d
        full join given_steps as g on g.slug = d.slug
        where d.slug is null or g.slug is null
    ),
    option_lines as (
        select 3 as part, d.slug || '.' || k.key as sort_key, pgflow.describe_difference(
            pg_catalog.format('step %s %s', pgflow.clip(d.slug), k.key), d.step -> k.key, g.step -> k.key
        ) as line
        from db_steps as d
        join given_steps as g on g.slug = d.slug
        cross join lateral (
            select o.key from pg_catalog.jsonb_object_keys(d.step) as o (key)
            union
            select o.key from pg_catalog.jsonb_object_keys(g.step) as o (key)
        ) as k
        where k.key <> 'step_slug'
    )
    select coalesce(pg_catalog.array_agg(a.line order by a.part, a.sort_key collate "C"), '{}')
    from (
        select * from flow_lines
        union all
        select * from step_lines
        union all
        select * from option_lines
    ) as a
    where a.line is not null
$$;
