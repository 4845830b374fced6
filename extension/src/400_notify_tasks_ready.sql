-- Wakes the workers of a flow: tasks of it became claimable now. A hint only
-- (the payload is the flow slug); a woken worker claims and may find nothing.
create function pgflow.notify_tasks_ready(flow_slug text)
returns void
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.pg_notify('pgflow_tasks', notify_tasks_ready.flow_slug)
$$;
