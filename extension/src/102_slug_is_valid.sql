-- Slugs become JSON keys, notification payloads and Python identifiers, so they
-- are kept identifier-like and bounded (the rule is in pgflow.vocabulary()).
create function pgflow.slug_is_valid(slug text)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select slug_is_valid.slug ~ (pgflow.vocabulary() ->> 'slug_pattern')
        and pg_catalog.length(slug_is_valid.slug) <= (pgflow.vocabulary() ->> 'slug_max_length')::integer
$$;
