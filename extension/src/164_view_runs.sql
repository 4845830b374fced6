-- The runs as users read them: every column of pgflow.run_rows, in the order
-- of the table it replaced, and the run's output derived when read: the
-- object of its completed leaf steps' outputs (skipped leaves are absent, {}
-- when none completed); null unless the run completed. Readers that do not
-- select output do not pay for it, and the view stays auto-updatable for its
-- other columns. New columns of the table go at the end here too.
-- (noqa ST06: the columns keep the order of the table the view replaced)
create view pgflow.runs as
select  -- noqa: ST06
    r.run_id,
    r.flow_slug,
    r.status,
    r.input,
    case when r.status = 'completed' then coalesce((
        select pg_catalog.jsonb_object_agg(ss.step_slug, ss.output)
        from pgflow.step_states as ss
        where
            ss.run_id = r.run_id
            and ss.status = 'completed'
            and not exists (
                select 1 from pgflow.deps as d
                where d.flow_slug = ss.flow_slug and d.dep_slug = ss.step_slug
            )
    ), '{}'::jsonb) end as output,
    r.remaining_steps,
    r.error_message,
    r.started_at,
    r.completed_at,
    r.failed_at,
    r.cancelled_at,
    r.finished_at,
    r.retry_count,
    r.retried_at,
    r.trace_context,
    r.priority
from pgflow.run_rows as r;

comment on view pgflow.runs is 'One row per run: started -> completed | failed | cancelled.';
