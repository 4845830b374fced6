-- Skips a step and everything downstream of it; returns how many steps it
-- finished. The step itself may be started (retries exhausted) or created.
create function pgflow.skip_cascade(
    run_id uuid, flow_slug text, step_slug text, reason text, error_message text
)
returns integer
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    with recursive downstream (slug) as (
        select skip_cascade.step_slug
        union
        select d.step_slug
        from downstream as ds
        join pgflow.deps as d on d.flow_slug = skip_cascade.flow_slug and d.dep_slug = ds.slug
    ),
    skipped as (
        update pgflow.step_state_rows as ss
        set status = 'skipped',
            skipped_at = pgflow.now(),
            skip_reason = case
                when ss.step_slug = skip_cascade.step_slug then skip_cascade.reason
                else 'dependency_skipped'
            end,
            error_message = case
                when ss.step_slug = skip_cascade.step_slug then skip_cascade.error_message
            end
        from downstream as ds
        where ss.run_id = skip_cascade.run_id
            and ss.step_slug = ds.slug
            and ss.status in ('created', 'started')
        returning 1
    )
    select count(*)::integer from skipped
$$;
