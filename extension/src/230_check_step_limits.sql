-- Rejects flow-control limits that cannot mean anything (issue 13), naming
-- the flow and the step: a limit below 1, a key path that is empty or has
-- null elements or several dimensions, a rate limit without its period (or
-- the other way round).
create function pgflow.check_step_limits(
    flow_slug text, step_slug text, concurrency integer, concurrency_key text[],
    rate_limit integer, rate_period integer
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_where text := pg_catalog.format(
        'flow %s, step %s', pgflow.clip(check_step_limits.flow_slug), pgflow.clip(check_step_limits.step_slug)
    );
begin
    if check_step_limits.concurrency < 1 then
        raise exception using errcode = 'PF020',
            message = pg_catalog.format('concurrency must be at least 1, got %s (%s)',
                check_step_limits.concurrency, v_where),
            hint = 'null means no concurrency limit';
    end if;
    if check_step_limits.rate_limit < 1 then
        raise exception using errcode = 'PF020',
            message = pg_catalog.format('rate_limit must be at least 1, got %s (%s)',
                check_step_limits.rate_limit, v_where),
            hint = 'null means no rate limit';
    end if;
    if check_step_limits.rate_period < 1 then
        raise exception using errcode = 'PF020',
            message = pg_catalog.format('rate_period must be at least 1 second, got %s (%s)',
                check_step_limits.rate_period, v_where);
    end if;
    if (check_step_limits.rate_limit is null) <> (check_step_limits.rate_period is null) then
        raise exception using errcode = 'PF020',
            message = pg_catalog.format('rate_limit and rate_period go together, got rate_limit %s and rate_period %s (%s)',
                coalesce(check_step_limits.rate_limit::text, 'null'),
                coalesce(check_step_limits.rate_period::text, 'null'), v_where);
    end if;
    if check_step_limits.concurrency_key is not null and (
        coalesce(pg_catalog.cardinality(check_step_limits.concurrency_key), 0) = 0
        or pg_catalog.array_ndims(check_step_limits.concurrency_key) <> 1
        or pg_catalog.array_position(check_step_limits.concurrency_key, null) is not null
    ) then
        raise exception using errcode = 'PF020',
            message = pg_catalog.format(
                'concurrency_key must be a non-empty path of text keys into the task input, like {run,tenant_id}, got %s (%s)',
                pgflow.clip(check_step_limits.concurrency_key::text), v_where);
    end if;
    if check_step_limits.concurrency_key is not null
        and check_step_limits.concurrency is null and check_step_limits.rate_limit is null then
        raise exception using errcode = 'PF020',
            message = pg_catalog.format('concurrency_key %s needs a concurrency or a rate_limit to apply per key (%s)',
                pgflow.clip(check_step_limits.concurrency_key::text), v_where);
    end if;
end;
$$;
