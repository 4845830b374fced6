"""Calls to every entry point a role may execute, with arguments that reach the code.

Used by the temp-domain attack: a worker session registers, claims, completes,
fails and stops; a client session starts, re-starts (same run id), cancels
and reads shapes; any other function the role may execute (one added later)
is called with null arguments. Every argument is a typed parameter or an
untyped literal, so the caller's own statement resolves no type by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import uuid4

from psycopg import sql
from psycopg.types.json import Jsonb
from tests.chaos.harness.db import Conn

__all__ = ["Call", "client_calls", "other_calls", "worker_calls"]

Call = tuple[str, Callable[[Conn], Any]]


def worker_calls(flow: str) -> list[Call]:
    """Every worker entry point, with arguments that reach the code behind the checks."""
    worker_id = uuid4()
    claims: list[tuple[Any, ...]] = []

    def claim(conn: Conn) -> None:
        claims.extend(
            conn.execute(
                "select run_id, step_slug, task_index, attempt"
                " from pgflow.claim_tasks(%s, 10, array[%s])",
                (worker_id, flow),
            ).fetchall()
        )

    def report(conn: Conn, query: str, index: int) -> None:
        if len(claims) > index:
            run_id, step, task_index, claimed = claims[index]
            conn.execute(query, (run_id, step, task_index, claimed))

    return [
        ("register_worker", lambda c: c.execute(
            "select pgflow.register_worker(%s, array[%s], 'attacker', 1)", (worker_id, flow))),
        ("heartbeat_worker", lambda c: c.execute(
            "select pgflow.heartbeat_worker(%s)", (worker_id,))),
        ("claim_tasks", claim),
        ("complete_task", lambda c: report(
            c, "select pgflow.complete_task(%s, %s, '{\"x\": 1}', %s, %s)", 0)),
        ("fail_task", lambda c: report(c, "select pgflow.fail_task(%s, %s, 'no', %s, %s)", 1)),
        ("complete_tasks", lambda c: report(
            c, "select pgflow.complete_tasks(array[%s], array[%s],"
            " array['{\"x\": 2}'::pg_catalog.jsonb], array[%s], array[%s])", 2)),
        ("next_task_visible_at", lambda c: c.execute("select pgflow.next_task_visible_at()")),
        ("verify_flow", lambda c: c.execute(
            "select pgflow.verify_flow(%s, 'nope', array['s'])", (flow,))),
        ("flow_shape_hash", lambda c: c.execute("select pgflow.flow_shape_hash(%s)", (flow,))),
        ("stop_worker", lambda c: c.execute("select pgflow.stop_worker(%s)", (worker_id,))),
    ]  # fmt: skip


def client_calls(flow: str) -> list[Call]:
    run_id = uuid4()
    return [
        ("start_flow", lambda c: c.execute(
            "select pgflow.start_flow(%s, %s, %s)", (flow, Jsonb({"a": 1}), run_id))),
        ("start_flow (existing run id)", lambda c: c.execute(
            "select pgflow.start_flow(%s, %s, %s)", (flow, Jsonb({}), run_id))),
        ("cancel_run", lambda c: c.execute("select pgflow.cancel_run(%s)", (run_id,))),
        ("flow_shape", lambda c: c.execute("select pgflow.flow_shape(%s)", (flow,))),
        ("flow_shape_hash", lambda c: c.execute("select pgflow.flow_shape_hash(%s)", (flow,))),
    ]  # fmt: skip


def other_calls(conn: Conn, role: str, covered: set[str]) -> list[Call]:
    """Any other pgflow function ``role`` may execute, called with null arguments."""
    rows = conn.execute(
        "select p.proname, p.pronargs from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgflow'::regnamespace"
        " and pg_catalog.has_function_privilege(%s, p.oid, 'execute')",
        (role,),
    ).fetchall()
    calls: list[Call] = []
    for name, nargs in rows:
        if name in covered:
            continue
        query = sql.SQL("select pgflow.{}({})").format(
            sql.Identifier(name), sql.SQL(", ").join([sql.Placeholder()] * nargs)
        )
        calls.append((name, partial(execute_with, query=query, params=[None] * nargs)))
    return calls


def execute_with(conn: Conn, query: sql.Composed, params: list[None]) -> None:
    conn.execute(query, params)
