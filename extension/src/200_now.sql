-- The clock seam: every timestamp pgflow writes comes from here. It is the
-- server's transaction time, unless the owner switched the test clock on
-- (pgflow.set_test_clock), so tests can move time instead of sleeping through
-- backoff, leases and delays. The test clock is a table only the owner can
-- write, not a setting: a caller's SET cannot move what a definer function
-- believes is now.
create function pgflow.now()
returns timestamptz
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select c.fake_now from pgflow.test_clock as c where c.singleton),
        pg_catalog.now()
    )
$$;
