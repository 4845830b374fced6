-- A long text put in a message (a value, a list of differences), cut at
-- max_length characters with a note of how long it was: messages and log
-- lines stay readable whatever the input.
create function pgflow.clip_text(value text, max_length integer)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.length(clip_text.value) > clip_text.max_length then
            pg_catalog.left(clip_text.value, clip_text.max_length)
            || pg_catalog.format('... (%s characters)', pg_catalog.length(clip_text.value))
        else clip_text.value
    end
$$;
