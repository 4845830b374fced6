"""Status transitions recorded by triggers: the witness of double completions.

A task, step or run that is completed twice, or that leaves a finished
status, is what "exactly once" forbids. The rows only show their last state,
so every status change of ``pgflow.run_rows``, ``pgflow.step_state_rows``
(the tables behind the views ``pgflow.runs`` and ``pgflow.step_states``) and
``pgflow.step_tasks`` is appended to ``chaos_audit.transitions`` as it
happens (the triggers are the suite's, added by the database owner).
"""

from __future__ import annotations

from tests.chaos.harness.db import Conn

__all__ = ["double_completions", "install_audit"]

INSTALL = """
create schema chaos_audit;
create table chaos_audit.transitions (
    id bigserial primary key,
    table_name text not null,
    key text not null,
    old_status text not null,
    new_status text not null,
    -- the run's retry_count when the change happened, and whether retry_run
    -- made it (the run was retried in this very transaction)
    retry integer not null,
    by_retry boolean not null,
    at timestamptz not null default clock_timestamp()
);
create function chaos_audit.record() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    v_run record;
begin
    select r.retry_count, r.retried_at into v_run
    from pgflow.runs as r where r.run_id = (pg_catalog.to_jsonb(new) ->> 'run_id')::uuid;
    insert into chaos_audit.transitions (table_name, key, old_status, new_status, retry, by_retry)
    values (
        tg_table_name,
        -- the row's key, whichever of the three tables fired
        pg_catalog.concat_ws('/', pg_catalog.to_jsonb(new) ->> 'run_id',
            pg_catalog.to_jsonb(new) ->> 'step_slug', pg_catalog.to_jsonb(new) ->> 'task_index'),
        old.status,
        new.status,
        coalesce(v_run.retry_count, 0),
        coalesce(v_run.retried_at = pg_catalog.now(), false)
    );
    return null;
end;
$$;
create trigger chaos_audit after update of status on pgflow.run_rows
    for each row when (old.status is distinct from new.status)
    execute function chaos_audit.record();
create trigger chaos_audit after update of status on pgflow.step_state_rows
    for each row when (old.status is distinct from new.status)
    execute function chaos_audit.record();
create trigger chaos_audit after update of status on pgflow.step_tasks
    for each row when (old.status is distinct from new.status)
    execute function chaos_audit.record();
"""

# Entering 'completed' twice within one retry generation of its run, or
# leaving a finished status other than by retry_run (the one legitimate way
# back: it records the retry on the run first, in the same transaction), is a
# double completion (or a state moving backwards).
DOUBLES = """
select table_name, key, max(completions) as completions, string_agg(path, ' | ') as path
from (
    select table_name, key, retry,
        count(*) filter (where new_status = 'completed') as completions,
        count(*) filter (
            where old_status in ('completed', 'failed', 'cancelled', 'skipped') and not by_retry
        ) as backwards,
        string_agg(old_status || '->' || new_status, ', ' order by id) as path
    from chaos_audit.transitions
    group by table_name, key, retry
) as g
group by table_name, key
having max(completions) > 1 or sum(backwards) > 0
order by table_name, key
"""


def install_audit(conn: Conn) -> None:
    """Create the audit schema and triggers (as the owner of the pgflow tables)."""
    conn.execute(INSTALL)


def double_completions(conn: Conn) -> list[str]:
    """One line per task, step or run completed more than once or moved back."""
    return [
        f"{table} {key}: completed {completions} time(s), transitions {path}"
        for table, key, completions, path in conn.execute(DOUBLES).fetchall()
    ]
