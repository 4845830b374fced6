-- The flow-control bucket of a task: the JSON text of the value at the key
-- path in its input ('"acme"', '42'), or '' for the step's one shared bucket
-- (no key, or the path is missing or null in this input).
create function pgflow.limit_bucket(concurrency_key text[], input jsonb)
returns text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        nullif(limit_bucket.input #> limit_bucket.concurrency_key, 'null'::jsonb)::text, ''
    )
$$;
