-- Development only: removes a flow, its steps and all of its runs so a changed
-- shape can be registered under the same slug. Refused unless the session
-- opted in, so a production migration cannot do it by accident.
create function pgflow.drop_flow(flow_slug text)
returns bigint
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_runs bigint;
begin
    if coalesce(pg_catalog.current_setting('pgflow.allow_drop_flow', true), '') <> 'on' then
        raise exception using
            errcode = 'PF013',
            message = pg_catalog.format(
                'refusing to drop flow %s: drop_flow is for development only', pgflow.clip(drop_flow.flow_slug)
            ),
            hint = 'run "set pgflow.allow_drop_flow = on" in this session first';
    end if;
    perform 1 from pgflow.flows as f where f.flow_slug = drop_flow.flow_slug for update;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format('flow %s does not exist', pgflow.clip(drop_flow.flow_slug));
    end if;
    with dropped as (
        delete from pgflow.run_rows as r where r.flow_slug = drop_flow.flow_slug returning 1
    )
    select count(*) into v_runs from dropped;
    delete from pgflow.deps as d where d.flow_slug = drop_flow.flow_slug;
    delete from pgflow.steps as s where s.flow_slug = drop_flow.flow_slug;
    delete from pgflow.flows as f where f.flow_slug = drop_flow.flow_slug;
    return v_runs;
end;
$$;
