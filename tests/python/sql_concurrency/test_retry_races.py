"""retry_run under real concurrency: separate sessions released at the same instant.

Two operators retrying one run must produce one retry; a worker's late result
of an attempt from before the retry must never complete the re-queued task,
whichever commits first.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

Connect = Callable[[], psycopg.Connection[TupleRow]]
SqlFlow = Callable[..., None]
Call = Callable[[psycopg.Connection[TupleRow]], Any]


def scalar(conn: psycopg.Connection[TupleRow], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def released_together(connect: Connect, calls: list[Call]) -> list[Any]:
    """Run each call in its own session, released at the same instant; an
    exception is returned (as its SQLSTATE) instead of raised."""
    sessions = [connect() for _ in calls]
    barrier = threading.Barrier(len(calls), timeout=20)

    def run(index: int) -> Any:
        barrier.wait()
        try:
            return calls[index](sessions[index])
        except psycopg.Error as error:
            return error.sqlstate

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, range(len(calls)), timeout=60))


def retry(run_id: uuid.UUID) -> Call:
    def call(c: psycopg.Connection[TupleRow]) -> Any:
        return scalar(c, "select status from pgflow.retry_run(%s)", (run_id,))

    return call


def complete(run_id: uuid.UUID, step: str, attempt: int) -> Call:
    def call(c: psycopg.Connection[TupleRow]) -> Any:
        return scalar(
            c,
            "select status from pgflow.complete_task(%s, %s, %s, 0, %s)",
            (run_id, step, Jsonb("late"), attempt),
        )

    return call


def cancelled_run(conn: psycopg.Connection[TupleRow], flow: str) -> uuid.UUID:
    """A run whose one task was claimed (attempt 1), then cancelled."""
    run_id = uuid.uuid4()
    conn.execute("select pgflow.start_flow(%s, '{}', %s)", (flow, run_id))
    conn.execute("select pgflow.claim_tasks(%s, 100, array[%s])", (uuid.uuid4(), flow))
    conn.execute("select pgflow.cancel_run(%s)", (run_id,))
    return run_id


def test_two_retries_of_one_run_at_once_make_one_retry(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("retry_twice", [("only", [], {}), ("after", ["only"], {})], max_attempts=1)
    for _ in range(10):
        run_id = cancelled_run(conn, "retry_twice")
        outcomes = released_together(connect, [retry(run_id), retry(run_id)])
        assert sorted(outcomes) == ["PF019", "started"], "one retry succeeds, the other is refused"
        row = conn.execute(
            "select status, retry_count, remaining_steps from pgflow.runs where run_id = %s",
            (run_id,),
        ).fetchone()
        assert row == ("started", 1, 2)
        tasks = conn.execute(
            "select status, count(*)::int from pgflow.step_tasks where run_id = %s group by 1",
            (run_id,),
        ).fetchall()
        assert tasks == [("queued", 1)], "the root task is queued once"


def test_a_late_result_racing_a_retry_never_completes_the_retried_task(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("retry_late", [("only", [], {})], max_attempts=1)
    outcomes: set[str] = set()
    for _ in range(10):
        run_id = cancelled_run(conn, "retry_late")
        results = released_together(connect, [retry(run_id), complete(run_id, "only", 1)])
        outcomes.add(str(results[1]))
        task = conn.execute(
            "select status, output from pgflow.step_tasks where run_id = %s", (run_id,)
        ).fetchone()
        assert task == ("queued", None), "the retried task waits for a new attempt"
        assert scalar(conn, "select status from pgflow.runs where run_id = %s", (run_id,)) == (
            "started"
        )
    # before the retry the late call meets a cancelled task; after it, a queued
    # task that its attempt no longer belongs to: both change nothing
    assert outcomes <= {"cancelled", "queued"}
