-- An attempt number names a claim, and claims count from 1.
create function pgflow.check_attempt(attempt integer, run_id uuid, step_slug text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_attempt.attempt is not null and check_attempt.attempt < 1 then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                'attempt must be at least 1, got %s (run %s, step %s)',
                check_attempt.attempt, check_attempt.run_id, pgflow.clip(check_attempt.step_slug)
            );
    end if;
end;
$$;
