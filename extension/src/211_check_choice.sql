-- Rejects a value that is not one of a list of pgflow.vocabulary() (e.g.
-- 'policies'), naming the flow and step it belongs to.
create function pgflow.check_choice(
    flow_slug text, step_slug text, name text, value text, list text
)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_choices jsonb := pgflow.vocabulary() -> check_choice.list;
begin
    if check_choice.value is null or not v_choices ? check_choice.value then
        raise exception using
            errcode = 'PF009',
            message = pg_catalog.format(
                '%s must be one of %s, got %s (flow %s, step %s)',
                check_choice.name,
                (select pg_catalog.string_agg(pg_catalog.quote_literal(c.value), ', ' order by c.ordinality)
                 from pg_catalog.jsonb_array_elements_text(v_choices) with ordinality as c),
                pgflow.clip(check_choice.value), pgflow.clip(check_choice.flow_slug),
                pgflow.clip(check_choice.step_slug)
            );
    end if;
end;
$$;
