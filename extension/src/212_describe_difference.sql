-- "<name>: <database> in the database, <given> given", or null when equal.
create function pgflow.describe_difference(name text, in_database jsonb, given jsonb)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when describe_difference.in_database is distinct from describe_difference.given
            then pg_catalog.format(
                '%s: %s in the database, %s given',
                describe_difference.name,
                pgflow.clip_text(coalesce(describe_difference.in_database::text, 'null'), 200),
                pgflow.clip_text(coalesce(describe_difference.given::text, 'null'), 200)
            )
    end
$$;
