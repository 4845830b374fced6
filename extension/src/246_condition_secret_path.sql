-- The first secret path a condition pattern reads, or null. "secrets" are
-- paths into the step input object ('run.user_token', 'fetch' for a whole
-- output). A pattern reads a path when one of its leaves (a value that is not
-- a non-empty object) lies on it, above it or below it: containment would
-- compare ciphertext, which never matches what the condition was written for.
create function pgflow.condition_secret_path(pattern jsonb, secrets text[])
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    with recursive leaves (keys, value) as (
        select array[e.key], e.value
        from pg_catalog.jsonb_each(
            case when pg_catalog.jsonb_typeof(condition_secret_path.pattern) = 'object'
                then condition_secret_path.pattern else '{}'::jsonb end
        ) as e
        union all
        select l.keys || e.key, e.value
        from leaves as l, pg_catalog.jsonb_each(l.value) as e
        where pg_catalog.jsonb_typeof(l.value) = 'object'
    ),
    secrets as (
        select s.path, pg_catalog.string_to_array(s.path, '.') as keys, s.ord
        from unnest(condition_secret_path.secrets) with ordinality as s (path, ord)
    )
    select s.path
    from secrets as s
    join leaves as l
        on not (pg_catalog.jsonb_typeof(l.value) = 'object' and l.value <> '{}'::jsonb)
    where l.keys[1:cardinality(s.keys)] = s.keys
        or (l.value <> '{}'::jsonb and s.keys[1:cardinality(l.keys)] = l.keys)
    order by s.ord
    limit 1
$$;
