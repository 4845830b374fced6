-- When the next task becomes visible (null when the queue is empty), so an
-- idle worker can sleep exactly until then instead of polling hot. The claim
-- index leads with priority, so this reads the head of each priority in use
-- (a loose index scan: one probe per distinct priority, not the backlog).
-- A task held back by flow control is visible, though not claimable until a
-- slot frees; the freed slot's notification wakes the workers (the worker
-- backs off on visible tasks it could not claim).
create function pgflow.next_task_visible_at(flow_slugs text[] default null)
returns timestamptz
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    with recursive priorities (priority) as (
        (
            select t.priority from pgflow.step_tasks as t
            where t.status in ('queued', 'started') and t.limit_bucket is null
            order by t.priority desc
            limit 1
        )
        union all
        select (
            select t.priority from pgflow.step_tasks as t
            where t.status in ('queued', 'started') and t.limit_bucket is null and t.priority < p.priority
            order by t.priority desc
            limit 1
        )
        from priorities as p
        where p.priority is not null
    )
    select least(min((
        select t.visible_at
        from pgflow.step_tasks as t
        where t.status in ('queued', 'started')
            and t.limit_bucket is null
            and t.priority = p.priority
            and (next_task_visible_at.flow_slugs is null or t.flow_slug = any(next_task_visible_at.flow_slugs))
        order by t.visible_at
        limit 1
    )), (
        -- the flow-controlled tasks' own queue
        select t.visible_at
        from pgflow.step_tasks as t
        where t.status in ('queued', 'started')
            and t.limit_bucket is not null
            and (next_task_visible_at.flow_slugs is null or t.flow_slug = any(next_task_visible_at.flow_slugs))
        order by t.visible_at
        limit 1
    ))
    from priorities as p
    where p.priority is not null
$$;
