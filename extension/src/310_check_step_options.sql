-- Every per-step validation that does not need the table, with errors that
-- name the flow and the step.
create function pgflow.check_step_options(
    flow_slug text, step_slug text, deps text[], max_attempts integer, base_delay integer,
    timeout integer, delay_seconds integer, step_type text, run_if jsonb, run_unless jsonb,
    when_unmet text, when_exhausted text
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_where text := pg_catalog.format(
        'flow %s, step %s', pgflow.clip(check_step_options.flow_slug), pgflow.clip(check_step_options.step_slug)
    );
    v_dup text[];
begin
    if array_position(check_step_options.deps, null) is not null then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('deps must not contain null (%s)', v_where);
    end if;
    perform pgflow.check_slug(d.slug, 'dependency', check_step_options.flow_slug, check_step_options.step_slug)
    from unnest(check_step_options.deps) as d (slug);
    select array_agg(d.slug order by d.slug) into v_dup
    from (select u.slug from unnest(check_step_options.deps) as u (slug) group by u.slug having count(*) > 1) as d;
    if v_dup is not null then
        raise exception using errcode = 'PF005',
            message = pg_catalog.format('duplicate dependency %s (%s)', pgflow.clip(pg_catalog.array_to_string(v_dup, ', ')), v_where);
    end if;
    if check_step_options.step_slug = any(check_step_options.deps) then
        raise exception using errcode = 'PF006',
            message = pg_catalog.format('step %s cannot depend on itself (%s)',
                pgflow.clip(check_step_options.step_slug), v_where);
    end if;
    perform pgflow.check_choice(
        check_step_options.flow_slug, check_step_options.step_slug, 'step_type', check_step_options.step_type, 'step_types'
    );
    if check_step_options.step_type = 'map' and cardinality(check_step_options.deps) > 1 then
        raise exception using errcode = 'PF015',
            message = pg_catalog.format('map step %L of flow %L has %s dependencies; a map step maps over the output of at most one',
                check_step_options.step_slug, check_step_options.flow_slug, cardinality(check_step_options.deps));
    end if;
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'max_attempts', check_step_options.max_attempts, 1);
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'base_delay', check_step_options.base_delay, 0);
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'timeout', check_step_options.timeout, 1);
    perform pgflow.check_option(check_step_options.flow_slug, check_step_options.step_slug, 'delay_seconds', check_step_options.delay_seconds, 0);
    if check_step_options.run_if is not null and pg_catalog.jsonb_typeof(check_step_options.run_if) <> 'object' then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('run_if must be a JSON object, got %s (%s)',
                pg_catalog.jsonb_typeof(check_step_options.run_if), v_where);
    end if;
    if check_step_options.run_unless is not null and pg_catalog.jsonb_typeof(check_step_options.run_unless) <> 'object' then
        raise exception using errcode = 'PF009',
            message = pg_catalog.format('run_unless must be a JSON object, got %s (%s)',
                pg_catalog.jsonb_typeof(check_step_options.run_unless), v_where);
    end if;
    perform pgflow.check_choice(
        check_step_options.flow_slug, check_step_options.step_slug, 'when_unmet', check_step_options.when_unmet, 'policies'
    );
    perform pgflow.check_choice(
        check_step_options.flow_slug, check_step_options.step_slug, 'when_exhausted', check_step_options.when_exhausted, 'policies'
    );
end;
$$;
