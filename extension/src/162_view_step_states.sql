-- The steps of each run as users read them: every column of
-- pgflow.step_state_rows, in the order of the table it replaced, and the
-- step's output derived from its tasks, where it is stored (once): a single
-- step's output is its task's, a map step's is the array of its tasks'
-- outputs in element order ([] for an empty map); null unless completed.
-- A reader that does not select output does not pay for it (the planner
-- drops the unused subquery), and the view stays auto-updatable for its other
-- columns. New columns of the table go at the end here too.
-- (noqa ST06: the columns keep the order of the table the view replaced)
create view pgflow.step_states as
select  -- noqa: ST06
    ss.run_id,
    ss.flow_slug,
    ss.step_slug,
    ss.status,
    ss.remaining_deps,
    ss.initial_tasks,
    ss.remaining_tasks,
    case when ss.status = 'completed' then (
        select
            case
                when s.step_type = 'map'
                    then
                        coalesce((
                            select pg_catalog.jsonb_agg(t.output order by t.task_index)
                            from pgflow.step_tasks as t
                            where t.run_id = ss.run_id and t.step_slug = ss.step_slug
                        ), '[]'::jsonb)
                else (
                    select t.output
                    from pgflow.step_tasks as t
                    where t.run_id = ss.run_id and t.step_slug = ss.step_slug and t.task_index = 0
                )
            end
        from pgflow.steps as s
        where s.flow_slug = ss.flow_slug and s.step_slug = ss.step_slug
    ) end as output,
    ss.error_message,
    ss.skip_reason,
    ss.created_at,
    ss.started_at,
    ss.completed_at,
    ss.failed_at,
    ss.skipped_at,
    ss.cancelled_at
from pgflow.step_state_rows as ss;

comment on view pgflow.step_states is
'One row per step of each run: created -> started -> completed | failed | skipped | cancelled.';
