"""Status transitions recorded by triggers: the witness of double completions.

A task, step or run that is completed twice, or that leaves a finished
status, is what "exactly once" forbids. The rows only show their last state,
so every status change of ``pgflow.runs``, ``pgflow.step_states`` and
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
    at timestamptz not null default clock_timestamp()
);
create function chaos_audit.record() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
    insert into chaos_audit.transitions (table_name, key, old_status, new_status)
    values (
        tg_table_name,
        -- the row's key, whichever of the three tables fired
        pg_catalog.concat_ws('/', pg_catalog.to_jsonb(new) ->> 'run_id',
            pg_catalog.to_jsonb(new) ->> 'step_slug', pg_catalog.to_jsonb(new) ->> 'task_index'),
        old.status,
        new.status
    );
    return null;
end;
$$;
create trigger chaos_audit after update of status on pgflow.runs
    for each row when (old.status is distinct from new.status)
    execute function chaos_audit.record();
create trigger chaos_audit after update of status on pgflow.step_states
    for each row when (old.status is distinct from new.status)
    execute function chaos_audit.record();
create trigger chaos_audit after update of status on pgflow.step_tasks
    for each row when (old.status is distinct from new.status)
    execute function chaos_audit.record();
"""

# Entering 'completed' twice, or leaving any finished status, is a double
# completion (or a state moving backwards). Nothing in the suite calls
# retry_run, the one legitimate way back from a finished run.
DOUBLES = """
select table_name, key, count(*) filter (where new_status = 'completed') as completions,
    string_agg(old_status || '->' || new_status, ', ' order by id) as path
from chaos_audit.transitions
group by table_name, key
having count(*) filter (where new_status = 'completed') > 1
    or count(*) filter (where old_status in ('completed', 'failed', 'cancelled', 'skipped')) > 0
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
