-- A long text put in a message (a list of differences, say), cut at 4,000
-- characters with a note of how much was left out.
create function pgflow.clip_text(value text)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.length(clip_text.value) > 4000 then
            pg_catalog.left(clip_text.value, 4000)
            || pg_catalog.format('... (%s characters in all)', pg_catalog.length(clip_text.value))
        else clip_text.value
    end
$$;
