-- Switches the test clock on at the given time, or off with null. Granted to
-- nobody: only the owner (or a superuser) can call it. Within a transaction
-- that rolls back (a pgTAP test) the change rolls back too.
create function pgflow.set_test_clock(fake_now timestamptz)
returns timestamptz
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    if set_test_clock.fake_now is null then
        delete from pgflow.test_clock as c where c.singleton;
        return pg_catalog.now();
    end if;
    insert into pgflow.test_clock as c (singleton, fake_now)
    values (true, set_test_clock.fake_now)
    on conflict on constraint test_clock_pkey do update set fake_now = excluded.fake_now;
    return set_test_clock.fake_now;
end;
$$;
