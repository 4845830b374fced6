"""NOTIFY payloads, observed from a real LISTEN connection (pgTAP cannot LISTEN).

* channel ``pgflow_tasks``, payload = flow_slug: tasks became claimable now;
* channel ``pgflow_runs``, payload = ``{"run_id", "flow_slug", "status"}`` when a
  run finishes (completed, failed or cancelled).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import TupleRow

Connect = Callable[[], psycopg.Connection[TupleRow]]
SqlFlow = Callable[..., None]

# How long to wait for a notification that must come / must not come.
ARRIVES_WITHIN = 5.0
QUIET_FOR = 0.5


def scalar(conn: psycopg.Connection[TupleRow], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def listener(connect: Connect, channel: str) -> psycopg.Connection[TupleRow]:
    c = connect()
    c.execute(f"listen {channel}")
    return c


def received(
    conn: psycopg.Connection[TupleRow], *, expect: int | None = None
) -> list[tuple[str, str]]:
    """(channel, payload) pairs: `expect` of them (waiting up to ARRIVES_WITHIN),
    or whatever arrives within QUIET_FOR when expect is None."""
    if expect is None:
        notes = conn.notifies(timeout=QUIET_FOR)
    else:
        notes = conn.notifies(timeout=ARRIVES_WITHIN, stop_after=expect)
    return [(n.channel, n.payload) for n in notes]


def claim(conn: psycopg.Connection[TupleRow], flow_slug: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, 100, array[%s])",
        (uuid.uuid4(), flow_slug),
    ).fetchall()


def test_start_flow_wakes_workers_of_the_flow(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("wake_start", [("root", [], {})])
    tasks = listener(connect, "pgflow_tasks")
    conn.execute("select pgflow.start_flow('wake_start', '{}')")
    assert received(tasks, expect=1) == [("pgflow_tasks", "wake_start")]


def test_a_completed_dependency_wakes_workers_for_its_dependents(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("wake_dep", [("root", [], {}), ("next", ["root"], {})])
    run_id = scalar(conn, "select run_id from pgflow.start_flow('wake_dep', '{}')")
    claim(conn, "wake_dep")
    tasks = listener(connect, "pgflow_tasks")
    conn.execute("select pgflow.complete_task(%s, 'root', '1')", (run_id,))
    assert received(tasks, expect=1) == [("pgflow_tasks", "wake_dep")]


def test_an_immediate_retry_wakes_workers(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("wake_retry", [("flaky", [], {})], base_delay=0, max_attempts=3)
    run_id = scalar(conn, "select run_id from pgflow.start_flow('wake_retry', '{}')")
    claim(conn, "wake_retry")
    tasks = listener(connect, "pgflow_tasks")
    conn.execute("select pgflow.fail_task(%s, 'flaky', 'again')", (run_id,))
    assert received(tasks, expect=1) == [("pgflow_tasks", "wake_retry")]


def test_a_delayed_step_does_not_wake_workers_before_it_is_claimable(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    conn.execute("select pgflow.create_flow('wake_later')")
    conn.execute("select pgflow.add_step('wake_later', 'later', delay_seconds => 3600)")
    tasks = listener(connect, "pgflow_tasks")
    conn.execute("select pgflow.start_flow('wake_later', '{}')")
    assert received(tasks) == [], "nothing is claimable for an hour: workers keep sleeping"


def test_a_completed_run_notifies_pgflow_runs_with_a_json_payload(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("done_flow", [("a", [], {}), ("b", ["a"], {})])
    run_id = scalar(conn, "select run_id from pgflow.start_flow('done_flow', '{}')")
    runs = listener(connect, "pgflow_runs")
    claim(conn, "done_flow")
    conn.execute("select pgflow.complete_task(%s, 'a', '1')", (run_id,))
    assert received(runs) == [], "no run notification before the run finishes"
    claim(conn, "done_flow")
    conn.execute("select pgflow.complete_task(%s, 'b', '2')", (run_id,))
    notes = received(runs, expect=1)
    assert [channel for channel, _ in notes] == ["pgflow_runs"]
    assert json.loads(notes[0][1]) == {
        "run_id": str(run_id),
        "flow_slug": "done_flow",
        "status": "completed",
    }
    conn.execute("select pgflow.complete_task(%s, 'b', '2')", (run_id,))
    assert received(runs) == [], "a repeated completion does not notify again"


def test_a_failed_run_notifies_pgflow_runs(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("fail_flow", [("a", [], {})], max_attempts=1)
    run_id = scalar(conn, "select run_id from pgflow.start_flow('fail_flow', '{}')")
    runs = listener(connect, "pgflow_runs")
    claim(conn, "fail_flow")
    conn.execute("select pgflow.fail_task(%s, 'a', 'boom')", (run_id,))
    notes = received(runs, expect=1)
    assert [json.loads(payload) for _, payload in notes] == [
        {"run_id": str(run_id), "flow_slug": "fail_flow", "status": "failed"}
    ]


def test_a_cancelled_run_notifies_pgflow_runs_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("cancel_flow", [("a", [], {})])
    run_id = scalar(conn, "select run_id from pgflow.start_flow('cancel_flow', '{}')")
    runs = listener(connect, "pgflow_runs")
    conn.execute("select pgflow.cancel_run(%s)", (run_id,))
    notes = received(runs, expect=1)
    assert [json.loads(payload) for _, payload in notes] == [
        {"run_id": str(run_id), "flow_slug": "cancel_flow", "status": "cancelled"}
    ]
    conn.execute("select pgflow.cancel_run(%s)", (run_id,))
    assert received(runs) == [], "cancelling again changes nothing and says nothing"


def test_a_run_finished_inside_start_flow_notifies_too(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("instant_flow", [("each", [], {"step_type": "map"})])
    runs = listener(connect, "pgflow_runs")
    run_id = scalar(conn, "select run_id from pgflow.start_flow('instant_flow', '[]')")
    notes = received(runs, expect=1)
    assert [json.loads(payload) for _, payload in notes] == [
        {"run_id": str(run_id), "flow_slug": "instant_flow", "status": "completed"}
    ]


def test_nothing_is_notified_for_a_rolled_back_transaction(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("rollback_flow", [("a", [], {})])
    tasks = listener(connect, "pgflow_tasks")
    runs = listener(connect, "pgflow_runs")

    class Rollback(Exception):
        pass

    try:
        with conn.transaction():
            run_id = scalar(conn, "select run_id from pgflow.start_flow('rollback_flow', '{}')")
            conn.execute("select pgflow.cancel_run(%s)", (run_id,))
            raise Rollback
    except Rollback:
        pass
    assert received(tasks) == []
    assert received(runs) == []
