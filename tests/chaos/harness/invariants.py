"""State consistency of a pgflow database, checked from the outside after the faults.

``violations(conn)`` re-evaluates every check constraint of the pgflow tables
on every row, then the invariants the constraints cannot express: the run
and step counters agree with the rows they count, finished runs hold nothing
unfinished, and completed steps and runs carry the outputs of their tasks
and leaf steps. Each violation is one readable line.
"""

from __future__ import annotations

import re

from psycopg import sql
from tests.chaos.harness.db import Conn

__all__ = ["violations"]

LIMIT = 20
"""Rows reported per invariant."""

# unfinished statuses: ('created', 'started') for steps, ('queued', 'started') for tasks
INVARIANTS: dict[str, str] = {
    "run counter": """
        select pg_catalog.format('run %s (%s): remaining_steps %s but %s unfinished step(s)',
            r.run_id, r.status, r.remaining_steps, u.n)
        from pgflow.runs as r
        cross join lateral (
            select count(*) as n from pgflow.step_states as ss
            where ss.run_id = r.run_id and ss.status in ('created', 'started')
        ) as u
        where r.status in ('started', 'completed') and r.remaining_steps <> u.n""",
    "finished run holds unfinished work": """
        select pg_catalog.format(
            'run %s is %s but has %s unfinished step(s), %s unfinished task(s)',
            r.run_id, r.status, s.n, t.n)
        from pgflow.runs as r
        cross join lateral (
            select count(*) as n from pgflow.step_states as ss
            where ss.run_id = r.run_id and ss.status in ('created', 'started')
        ) as s
        cross join lateral (
            select count(*) as n from pgflow.step_tasks as st
            where st.run_id = r.run_id and st.status in ('queued', 'started')
        ) as t
        where r.status <> 'started' and (s.n > 0 or t.n > 0)""",
    "completed run with an unfinished or failed step": """
        select pg_catalog.format('run %s is completed but step %s is %s',
            r.run_id, ss.step_slug, ss.status)
        from pgflow.runs as r
        join pgflow.step_states as ss on ss.run_id = r.run_id
        where r.status = 'completed' and ss.status not in ('completed', 'skipped')""",
    "run output": """
        select pg_catalog.format('run %s output %s is not its completed leaf steps'' outputs %s',
            r.run_id, pg_catalog.left(r.output::text, 200), pg_catalog.left(l.output::text, 200))
        from pgflow.runs as r
        cross join lateral (
            select coalesce(pg_catalog.jsonb_object_agg(ss.step_slug, ss.output), '{}') as output
            from pgflow.step_states as ss
            where ss.run_id = r.run_id and ss.status = 'completed'
                and not exists (
                    select 1 from pgflow.deps as d
                    where d.flow_slug = ss.flow_slug and d.dep_slug = ss.step_slug
                )
        ) as l
        where r.status = 'completed' and r.output is distinct from l.output""",
    "step task counter": """
        select pg_catalog.format(
            'step %s/%s (%s): remaining_tasks %s of %s, but %s unfinished of %s task(s)',
            ss.run_id, ss.step_slug, ss.status, ss.remaining_tasks, ss.initial_tasks,
            t.open, t.total)
        from pgflow.step_states as ss
        cross join lateral (
            select count(*) filter (where st.status in ('queued', 'started')) as open,
                count(*) as total
            from pgflow.step_tasks as st
            where st.run_id = ss.run_id and st.step_slug = ss.step_slug
        ) as t
        where ss.status in ('started', 'completed')
            and (ss.remaining_tasks is distinct from t.open
                or ss.initial_tasks is distinct from t.total)""",
    "completed step with an unfinished task": """
        select pg_catalog.format('step %s/%s is completed but task %s is %s',
            ss.run_id, ss.step_slug, st.task_index, st.status)
        from pgflow.step_states as ss
        join pgflow.step_tasks as st on st.run_id = ss.run_id and st.step_slug = ss.step_slug
        where ss.status = 'completed' and st.status <> 'completed'""",
    "step output": """
        select pg_catalog.format('step %s/%s (%s) output %s is not its tasks'' %s',
            ss.run_id, ss.step_slug, s.step_type, pg_catalog.left(ss.output::text, 200),
            pg_catalog.left(o.output::text, 200))
        from pgflow.step_states as ss
        join pgflow.steps as s on s.flow_slug = ss.flow_slug and s.step_slug = ss.step_slug
        cross join lateral (
            select case when s.step_type = 'map'
                then coalesce(pg_catalog.jsonb_agg(st.output order by st.task_index), '[]')
                else (pg_catalog.array_agg(st.output))[1] end as output
            from pgflow.step_tasks as st
            where st.run_id = ss.run_id and st.step_slug = ss.step_slug
        ) as o
        where ss.status = 'completed' and ss.output is distinct from o.output""",
    "dependency counter": """
        select pg_catalog.format('step %s/%s: remaining_deps %s but %s unfinished dependencies',
            ss.run_id, ss.step_slug, ss.remaining_deps, u.n)
        from pgflow.step_states as ss
        join pgflow.runs as r on r.run_id = ss.run_id and r.status = 'started'
        cross join lateral (
            select count(*) as n
            from pgflow.deps as d
            join pgflow.step_states as dep on dep.run_id = ss.run_id and dep.step_slug = d.dep_slug
            where d.flow_slug = ss.flow_slug and d.step_slug = ss.step_slug
                and dep.status not in ('completed', 'skipped')
        ) as u
        where ss.status = 'created' and ss.remaining_deps <> u.n""",
    "step started before its dependencies finished": """
        select pg_catalog.format('step %s/%s is %s but its dependency %s is %s',
            ss.run_id, ss.step_slug, ss.status, dep.step_slug, dep.status)
        from pgflow.step_states as ss
        join pgflow.deps as d on d.flow_slug = ss.flow_slug and d.step_slug = ss.step_slug
        join pgflow.step_states as dep on dep.run_id = ss.run_id and dep.step_slug = d.dep_slug
        where ss.status in ('started', 'completed')
            and dep.status not in ('completed', 'skipped')""",
    "unfinished task of a finished step or run": """
        select pg_catalog.format('task %s/%s/%s is %s but its step is %s and its run %s',
            st.run_id, st.step_slug, st.task_index, st.status, ss.status, r.status)
        from pgflow.step_tasks as st
        join pgflow.step_states as ss on ss.run_id = st.run_id and ss.step_slug = st.step_slug
        join pgflow.runs as r on r.run_id = st.run_id
        where st.status in ('queued', 'started')
            and (ss.status <> 'started' or r.status <> 'started')""",
}

CHECK_DEFINITION = re.compile(r"^CHECK \((?P<expr>.*)\)(?P<not_valid> NOT VALID)?$", re.DOTALL)


def _constraint_violations(conn: Conn) -> list[str]:
    rows = conn.execute(
        "select c.conrelid::regclass::text, c.conname, pg_catalog.pg_get_constraintdef(c.oid)"
        " from pg_catalog.pg_constraint as c"
        " where c.contype = 'c' and c.connamespace = 'pgflow'::regnamespace"
        " order by 1, 2"
    ).fetchall()
    found: list[str] = []
    for table, name, definition in rows:
        match = CHECK_DEFINITION.match(definition)
        if match is None:
            found.append(f"cannot parse check constraint {table}.{name}: {definition}")
            continue
        # The definition comes from the catalog, not from input: safe to splice.
        query = sql.SQL("select count(*) from {} where not coalesce(({}), true)").format(
            sql.SQL(table),
            sql.SQL(match["expr"]),
        )
        row = conn.execute(query).fetchone()
        bad = 0 if row is None else int(row[0])
        if bad:
            found.append(f"{bad} row(s) of {table} violate check constraint {name}")
    return found


def violations(conn: Conn) -> list[str]:
    """Every inconsistency found, one line each (empty when the state is consistent)."""
    found = _constraint_violations(conn)
    for name, query in INVARIANTS.items():
        rows = conn.execute(
            sql.SQL("{} limit {}").format(sql.SQL(query), sql.Literal(LIMIT))
        ).fetchall()
        found.extend(f"{name}: {row[0]}" for row in rows)
    return found
