"""A completed output is stored once (issue 14, pitfall 1.4 of the seeds).

The worker writes a task's output into ``pgflow.step_tasks``; the step's output
(``step_states.output``) and the run's (``runs.output``) are derived from it
when read. Measured here the way a DBA would: the bytes of every row that a
finished run left in the tables of schema ``pgflow``.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import psycopg
from psycopg import sql

WORKER = uuid.UUID("51000000-0000-4000-8000-000000000001")

# Every base table of schema pgflow with a run_id column: all that a run leaves behind.
RUN_TABLES = """
select c.relname::text
  from pg_catalog.pg_class as c
  join pg_catalog.pg_attribute as a on a.attrelid = c.oid and a.attname = 'run_id'
 where c.relnamespace = 'pgflow'::regnamespace and c.relkind = 'r'
 order by 1
"""


def finish_one_run(conn: psycopg.Connection[Any], output: object) -> uuid.UUID:
    """Starts a run of the one-step flow 'stored_once' and completes its task with ``output``."""
    run_id = uuid.uuid4()
    conn.execute("select pgflow.start_flow('stored_once', '{}', %s)", (run_id,))
    claimed = conn.execute(
        "select run_id, attempt from pgflow.claim_tasks(%s, 1, array['stored_once'])", (WORKER,)
    ).fetchall()
    assert [row[0] for row in claimed] == [run_id]
    conn.execute(
        "select pgflow.complete_task(%s, 'only', %s::jsonb, 0, %s)",
        (run_id, json.dumps(output), claimed[0][1]),
    )
    status = conn.execute("select status from pgflow.runs where run_id = %s", (run_id,)).fetchone()
    assert status == ("completed",)
    return run_id


def stored_bytes(conn: psycopg.Connection[Any], run_id: uuid.UUID) -> dict[str, int]:
    """Bytes of the rows a run has in each base table (pg_column_size of whole rows)."""
    sizes: dict[str, int] = {}
    for (table,) in conn.execute(RUN_TABLES).fetchall():
        query = sql.SQL(
            "select coalesce(sum(pg_catalog.pg_column_size(t.*)), 0)::integer from {} as t "
            "where t.run_id = %s"
        ).format(sql.Identifier("pgflow", table))
        row = conn.execute(query, (run_id,)).fetchone()
        assert row is not None
        sizes[f"pgflow.{table}"] = row[0]
    return sizes


def test_a_leaf_outputs_bytes_are_stored_once(conn: psycopg.Connection[Any]) -> None:
    conn.execute("select pgflow.create_flow('stored_once')")
    conn.execute("select pgflow.add_step('stored_once', 'only')")
    # incompressible and under the TOAST threshold, so pg_column_size is its real size
    big = os.urandom(512).hex()
    output_bytes = len(big)

    small_run = finish_one_run(conn, "")
    big_run = finish_one_run(conn, big)
    small, large = stored_bytes(conn, small_run), stored_bytes(conn, big_run)

    extra = sum(large.values()) - sum(small.values())
    per_table = {table: large[table] - small[table] for table in large}
    copies = extra / output_bytes
    assert 0.9 < copies < 1.1, (
        f"a {output_bytes}-byte output added {extra} bytes ({copies:.2f} copies): {per_table}; "
        f"bytes per run: {sum(small.values())} with an empty output, {sum(large.values())} with it"
    )
    assert per_table["pgflow.step_tasks"] >= output_bytes, per_table
    # and the readers still see it everywhere they did
    row = conn.execute(
        "select r.output, ss.output, t.output from pgflow.runs as r "
        "join pgflow.step_states as ss on ss.run_id = r.run_id "
        "join pgflow.step_tasks as t on t.run_id = r.run_id "
        "where r.run_id = %s",
        (big_run,),
    ).fetchone()
    assert row == ({"only": big}, big, big)
