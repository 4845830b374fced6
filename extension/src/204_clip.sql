-- Caller-supplied text quoted in an error message (like format's %L), cut to
-- a readable length: a 10 MB slug must not make a 20 MB message and log line.
create function pgflow.clip(value text)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.length(clip.value) > 80 then
            pg_catalog.quote_literal(pg_catalog.left(clip.value, 80))
            || pg_catalog.format('... (%s characters)', pg_catalog.length(clip.value))
        else pg_catalog.quote_nullable(clip.value)
    end
$$;
