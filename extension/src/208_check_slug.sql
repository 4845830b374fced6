-- Rejects a slug that breaks the rule of pgflow.slug_is_valid, or a reserved
-- step slug, naming the flow and step it belongs to.
create function pgflow.check_slug(slug text, kind text, flow_slug text, step_slug text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if not coalesce(pgflow.slug_is_valid(check_slug.slug), false) then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'invalid %s slug %s (flow %s%s)',
                check_slug.kind, pgflow.clip(check_slug.slug), pgflow.clip(check_slug.flow_slug),
                case when check_slug.step_slug is not null
                    then pg_catalog.format(', step %s', pgflow.clip(check_slug.step_slug)) else '' end
            ),
            hint = 'slugs start with a letter or underscore, contain only letters, digits '
            || 'and underscores, and are at most 128 characters long';
    end if;
    if check_slug.kind = 'step' and pgflow.vocabulary() -> 'reserved_step_slugs' ? check_slug.slug then
        raise exception using
            errcode = 'PF001',
            message = pg_catalog.format(
                'step slug "run" is reserved (flow %s): the run input is passed under that key',
                pgflow.clip(check_slug.flow_slug)
            );
    end if;
end;
$$;
