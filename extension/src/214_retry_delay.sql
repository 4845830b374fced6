-- Retry delay after a failed attempt: exponential, capped at a day (or at
-- base_delay when that is larger) so late attempts never wait for ages; the
-- exponent stops at 30, past the cap for any base_delay >= 1.
create function pgflow.retry_delay(base_delay integer, attempt integer)
returns integer
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select least(
        retry_delay.base_delay::numeric * pg_catalog.power(2::numeric, least(greatest(retry_delay.attempt - 1, 0), 30)),
        greatest(retry_delay.base_delay, 86400)
    )::integer
$$;
