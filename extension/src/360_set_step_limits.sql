-- Sets the flow-control limits of a step on a live flow (issue 13): an
-- operation, not a new shape, so no new flow slug and no change to the shape
-- hash. The call states the step's whole flow control: a limit left null is
-- no limit, so set_step_limits(flow, step) with no limits clears them all.
-- Tasks already started keep running; the new limits decide the next claims,
-- and a changed key re-buckets the queued and started tasks at once.
create function pgflow.set_step_limits(
    flow_slug text,
    step_slug text,
    concurrency integer default null,
    concurrency_key text[] default null,
    rate_limit integer default null,
    rate_period integer default null
)
returns pgflow.step_limits
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_limits pgflow.step_limits;
begin
    -- key share, like start_flow: a concurrent drop_flow waits for this change
    perform 1 from pgflow.flows as f where f.flow_slug = set_step_limits.flow_slug for key share;
    if not found then
        raise exception using
            errcode = 'PF002',
            message = pg_catalog.format(
                'flow %s does not exist (setting limits of step %s)',
                pgflow.clip(set_step_limits.flow_slug), pgflow.clip(set_step_limits.step_slug)
            );
    end if;
    if not exists (
        select 1 from pgflow.steps as s
        where s.flow_slug = set_step_limits.flow_slug and s.step_slug = set_step_limits.step_slug
    ) then
        raise exception using
            errcode = 'PF004',
            message = pg_catalog.format(
                'flow %L has no step %s', set_step_limits.flow_slug, pgflow.clip(set_step_limits.step_slug)
            );
    end if;
    perform pgflow.apply_step_limits(
        set_step_limits.flow_slug, set_step_limits.step_slug, set_step_limits.concurrency,
        set_step_limits.concurrency_key, set_step_limits.rate_limit, set_step_limits.rate_period
    );
    select l.* into v_limits from pgflow.step_limits as l
    where l.flow_slug = set_step_limits.flow_slug and l.step_slug = set_step_limits.step_slug;
    if not found then
        v_limits := row(set_step_limits.flow_slug, set_step_limits.step_slug, null, null, null, null, pgflow.now());
    end if;
    return v_limits;
end;
$$;
