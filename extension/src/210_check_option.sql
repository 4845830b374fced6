-- Rejects an option below its minimum, naming the flow and step it belongs to.
create function pgflow.check_option(
    flow_slug text, step_slug text, name text, value integer, minimum integer
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if check_option.value < check_option.minimum then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be at least %s, got %s (flow %s%s)',
                check_option.name, check_option.minimum, check_option.value,
                pgflow.clip(check_option.flow_slug),
                case when check_option.step_slug is not null
                    then pg_catalog.format(', step %s', pgflow.clip(check_option.step_slug)) else '' end
            );
    end if;
end;
$$;
