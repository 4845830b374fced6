-- When the next task becomes visible (null when the queue is empty), so an
-- idle worker can sleep exactly until then instead of polling hot.
create function pgflow.next_task_visible_at(flow_slugs text[] default null)
returns timestamptz
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select t.visible_at
    from pgflow.step_tasks as t
    where t.status in ('queued', 'started')
        and (next_task_visible_at.flow_slugs is null or t.flow_slug = any(next_task_visible_at.flow_slugs))
    order by t.visible_at
    limit 1
$$;
