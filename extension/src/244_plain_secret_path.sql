-- The first of "paths" (secret paths) at which "value" holds something that
-- is not sealed, or null when every secret is sealed. Only the path is ever
-- reported, never the value.
create function pgflow.plain_secret_path(value jsonb, paths text[])
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select p.path
    from unnest(plain_secret_path.paths) with ordinality as p (path, ord)
    where not pgflow.is_sealed(
        plain_secret_path.value,
        case when p.path = '$' then '{}'::text[] else pg_catalog.string_to_array(p.path, '.') end
    )
    order by p.ord
    limit 1
$$;
