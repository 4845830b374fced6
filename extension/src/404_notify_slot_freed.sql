-- A task of a flow-controlled step left 'started' (completed, failed,
-- retried later, cancelled): its slot is free, so the workers of its flow are
-- woken to claim again (the usual tasks-ready hint). The trigger's WHEN
-- clause keeps tasks of unlimited steps from ever calling this.
create function pgflow.notify_slot_freed()
returns trigger
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pgflow.notify_tasks_ready(old.flow_slug);
    return null;
end;
$$;

do $$
begin
    if not exists (
        select 1 from pg_catalog.pg_trigger as g
        where g.tgname = 'step_tasks_slot_freed' and g.tgrelid = 'pgflow.step_tasks'::pg_catalog.regclass
    ) then
        create trigger step_tasks_slot_freed
        after update of status on pgflow.step_tasks
        for each row
        when (old.status = 'started' and new.status <> 'started' and old.limit_bucket is not null)
        execute function pgflow.notify_slot_freed();
    end if;
end;
$$;
