"""Races between state transitions, each pinned down two ways:

* forced interleavings: session A does its call inside an open transaction,
  session B's call is started and (when the SQL locks properly) blocks on A's
  locks, then A commits and B finishes; both orders are tried;
* free races: two or more sessions released together by a barrier, repeated
  over many runs.

After each, the run's state must be one of the legal outcomes, counted once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

Connect = Callable[[], psycopg.Connection[TupleRow]]
SqlFlow = Callable[..., None]
Call = Callable[[psycopg.Connection[TupleRow]], Any]

REPEAT = 15


def scalar(conn: psycopg.Connection[TupleRow], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def claim_all(conn: psycopg.Connection[TupleRow], flow_slug: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select run_id, step_slug, task_index, attempt"
        " from pgflow.claim_tasks(%s, 1000, array[%s])",
        (uuid.uuid4(), flow_slug),
    ).fetchall()


def wait_until_blocked_or_done(
    observer: psycopg.Connection[TupleRow], pid: int, future: Future[Any]
) -> None:
    """Give B's call time to reach A's locks: until it waits on a lock, or finished."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not future.done():
        waiting = observer.execute(
            "select wait_event_type = 'Lock' from pg_stat_activity where pid = %s", (pid,)
        ).fetchone()
        if waiting == (True,):
            return
        time.sleep(0.01)


@contextmanager
def interleaved(
    connect: Connect, first: Call, second: Call
) -> Iterator[tuple[Future[Any], Future[Any]]]:
    """Run `first` in an open transaction of session A, start `second` in session B,
    let B block on A, commit A, then let B finish. Yields both futures (done)."""
    a, b, observer = connect(), connect(), connect()
    with ThreadPoolExecutor(max_workers=1) as pool:
        with a.transaction():
            first_result: Future[Any] = Future()
            first_result.set_result(first(a))
            second_result = pool.submit(second, b)
            wait_until_blocked_or_done(observer, b.info.backend_pid, second_result)
        second_result.result(timeout=30)
        yield first_result, second_result


def released_together(connect: Connect, calls: list[Call]) -> list[Any]:
    """Run each call in its own session, released at the same instant."""
    sessions = [connect() for _ in calls]
    barrier = threading.Barrier(len(calls), timeout=20)

    def run(index: int) -> Any:
        barrier.wait()
        return calls[index](sessions[index])

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, range(len(calls)), timeout=60))


# --- the last two tasks of a map step complete at the same time ---------------------


def complete(
    run_id: Any, step: str, output: Any, index: int = 0, attempt: int | None = None
) -> Call:
    def call(c: psycopg.Connection[TupleRow]) -> Any:
        return scalar(
            c,
            "select status from pgflow.complete_task(%s, %s, %s, %s, %s)",
            (run_id, step, Jsonb(output), index, attempt),
        )

    return call


def fail(run_id: Any, step: str, message: str, index: int = 0, attempt: int | None = None) -> Call:
    def call(c: psycopg.Connection[TupleRow]) -> Any:
        return scalar(
            c,
            "select status from pgflow.fail_task(%s, %s, %s, %s, %s)",
            (run_id, step, message, index, attempt),
        )

    return call


def cancel(run_id: Any) -> Call:
    def call(c: psycopg.Connection[TupleRow]) -> Any:
        return scalar(c, "select status from pgflow.cancel_run(%s)", (run_id,))

    return call


def start_two_element_map(conn: psycopg.Connection[TupleRow], flow_slug: str) -> Any:
    run_id = scalar(conn, 'select run_id from pgflow.start_flow(%s, \'["x", "y"]\')', (flow_slug,))
    claimed = [c for c in claim_all(conn, flow_slug) if c[0] == run_id]
    assert sorted(claimed) == [(run_id, "each", 0, 1), (run_id, "each", 1, 1)]
    return run_id


def assert_map_completed_once(conn: psycopg.Connection[TupleRow], run_id: Any) -> None:
    each = conn.execute(
        "select status, output, remaining_tasks from pgflow.step_states"
        " where run_id = %s and step_slug = 'each'",
        (run_id,),
    ).fetchone()
    assert each == ("completed", ["X", "Y"], 0)
    after_tasks = scalar(
        conn,
        "select count(*) from pgflow.step_tasks where run_id = %s and step_slug = 'after'",
        (run_id,),
    )
    assert after_tasks == 1, "the dependent was started exactly once"
    assert scalar(conn, "select remaining_steps from pgflow.runs where run_id = %s", (run_id,)) == 1
    assert (
        scalar(
            conn,
            "select status from pgflow.step_states where run_id = %s and step_slug = 'after'",
            (run_id,),
        )
        == "started"
    )


MAP_THEN_AFTER = [("each", [], {"step_type": "map"}), ("after", ["each"], {})]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_the_last_two_map_tasks_completing_together_complete_the_step_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow, order: tuple[int, int]
) -> None:
    sql_flow("last_two", MAP_THEN_AFTER)
    run_id = start_two_element_map(conn, "last_two")
    outputs = ["X", "Y"]
    first, second = order
    with interleaved(
        connect,
        complete(run_id, "each", outputs[first], first, 1),
        complete(run_id, "each", outputs[second], second, 1),
    ) as (a, b):
        assert (a.result(), b.result()) == ("completed", "completed")
    assert_map_completed_once(conn, run_id)


def test_the_last_two_map_tasks_released_together_complete_the_step_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("last_two_free", MAP_THEN_AFTER)
    for _ in range(REPEAT):
        run_id = start_two_element_map(conn, "last_two_free")
        results = released_together(
            connect, [complete(run_id, "each", "X", 0, 1), complete(run_id, "each", "Y", 1, 1)]
        )
        assert results == ["completed", "completed"]
        assert_map_completed_once(conn, run_id)


def test_the_join_of_two_branches_completing_together_starts_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow(
        "join_race",
        [
            ("root", [], {}),
            ("left", ["root"], {}),
            ("right", ["root"], {}),
            ("join", ["left", "right"], {}),
        ],
    )
    for _ in range(REPEAT):
        run_id = scalar(conn, "select run_id from pgflow.start_flow('join_race', '{}')")
        claim_all(conn, "join_race")
        complete(run_id, "root", 0)(conn)
        claim_all(conn, "join_race")
        released_together(connect, [complete(run_id, "left", "L"), complete(run_id, "right", "R")])
        joins = conn.execute(
            "select input from pgflow.claim_tasks(%s, 10, array['join_race']) where run_id = %s",
            (uuid.uuid4(), run_id),
        ).fetchall()
        assert joins == [({"run": {}, "left": "L", "right": "R"},)], (
            "one join task, seeing both branches"
        )


def test_a_join_condition_on_two_branches_completing_together_sees_both(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow(
        "join_cond",
        [
            ("root", [], {}),
            ("left", ["root"], {}),
            ("right", ["root"], {}),
            ("join", ["left", "right"], {"run_if": {"left": "L", "right": "R"}}),
        ],
    )
    for _ in range(REPEAT):
        run_id = scalar(conn, "select run_id from pgflow.start_flow('join_cond', '{}')")
        claim_all(conn, "join_cond")
        complete(run_id, "root", 0)(conn)
        claim_all(conn, "join_cond")
        released_together(connect, [complete(run_id, "left", "L"), complete(run_id, "right", "R")])
        status = scalar(
            conn,
            "select status from pgflow.step_states where run_id = %s and step_slug = 'join'",
            (run_id,),
        )
        assert status == "started", "the condition was tested against both committed outputs"


def test_the_last_two_leaves_completing_together_both_reach_the_run_output(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("two_leaves", [("left", [], {}), ("right", [], {})])
    run_id = scalar(conn, "select run_id from pgflow.start_flow('two_leaves', '{}')")
    claim_all(conn, "two_leaves")
    with interleaved(connect, complete(run_id, "left", "L"), complete(run_id, "right", "R")) as (
        a,
        b,
    ):
        assert (a.result(), b.result()) == ("completed", "completed")
    run = conn.execute(
        "select status, output, remaining_steps from pgflow.runs where run_id = %s", (run_id,)
    ).fetchone()
    assert run == ("completed", {"left": "L", "right": "R"}, 0)


def test_leaves_released_together_all_reach_the_run_output(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("three_leaves", [("a", [], {}), ("b", [], {}), ("c", [], {})])
    for _ in range(REPEAT):
        run_id = scalar(conn, "select run_id from pgflow.start_flow('three_leaves', '{}')")
        claim_all(conn, "three_leaves")
        released_together(
            connect, [complete(run_id, step, step.upper()) for step in ("a", "b", "c")]
        )
        run = conn.execute(
            "select status, output from pgflow.runs where run_id = %s", (run_id,)
        ).fetchone()
        assert run == ("completed", {"a": "A", "b": "B", "c": "C"})


# --- exhausting failure vs completion ---------------------------------------------


def assert_failed_without_moving_on(conn: psycopg.Connection[TupleRow], run_id: Any) -> None:
    run = conn.execute(
        "select status, output, completed_at from pgflow.runs where run_id = %s", (run_id,)
    ).fetchone()
    assert run == ("failed", None, None)
    assert (
        scalar(
            conn,
            "select status from pgflow.step_states where run_id = %s and step_slug = 'each'",
            (run_id,),
        )
        == "failed"
    )
    assert (
        scalar(
            conn,
            "select count(*) from pgflow.step_tasks where run_id = %s and step_slug = 'after'",
            (run_id,),
        )
        == 0
    ), "a failed step never starts its dependents"
    assert (
        scalar(
            conn,
            "select count(*) from pgflow.step_tasks"
            " where run_id = %s and status in ('queued', 'started')",
            (run_id,),
        )
        == 0
    ), "nothing of the failed run is left claimable"


def test_an_exhausting_failure_then_a_blocked_completion(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("fail_first", MAP_THEN_AFTER, max_attempts=1)
    run_id = start_two_element_map(conn, "fail_first")
    with interleaved(
        connect, fail(run_id, "each", "boom", 0, 1), complete(run_id, "each", "Y", 1, 1)
    ) as (a, b):
        assert a.result() == "failed"
        assert b.result() == "cancelled", "the late completion is a no-op on the cancelled task"
    assert_failed_without_moving_on(conn, run_id)


def test_a_completion_then_a_blocked_exhausting_failure(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("complete_first", MAP_THEN_AFTER, max_attempts=1)
    run_id = start_two_element_map(conn, "complete_first")
    with interleaved(
        connect, complete(run_id, "each", "Y", 1, 1), fail(run_id, "each", "boom", 0, 1)
    ) as (a, b):
        assert a.result() == "completed"
        assert b.result() == "failed"
    assert_failed_without_moving_on(conn, run_id)
    assert (
        scalar(
            conn,
            "select output from pgflow.step_tasks"
            " where run_id = %s and step_slug = 'each' and task_index = 1",
            (run_id,),
        )
        == "Y"
    ), "the committed result is kept"


def test_exhausting_failures_and_completions_released_together(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("fail_free", MAP_THEN_AFTER, max_attempts=1)
    for _ in range(REPEAT):
        run_id = start_two_element_map(conn, "fail_free")
        released_together(
            connect, [fail(run_id, "each", "boom", 0, 1), complete(run_id, "each", "Y", 1, 1)]
        )
        assert_failed_without_moving_on(conn, run_id)
        assert (
            scalar(
                conn,
                "select count(*) from pgflow.runs where run_id = %s and failed_at is not null",
                (run_id,),
            )
            == 1
        )


# --- start_flow with the same run_id ---------------------------------------------


def test_concurrent_start_flow_with_one_run_id_creates_one_run(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("same_id", [("root", [], {}), ("next", ["root"], {})])

    def start(run_id: uuid.UUID, n: int) -> Call:
        def call(c: psycopg.Connection[TupleRow]) -> Any:
            return c.execute(
                "select run_id, input from pgflow.start_flow('same_id', %s, %s)",
                (Jsonb({"n": n}), run_id),
            ).fetchone()

        return call

    for _ in range(REPEAT):
        run_id = uuid.uuid4()
        results = released_together(connect, [start(run_id, n) for n in range(6)])
        assert {r[0] for r in results} == {run_id}, "every caller gets the run"
        assert len({str(r[1]) for r in results}) == 1, "every caller sees the same (first) input"
        assert scalar(conn, "select count(*) from pgflow.runs where run_id = %s", (run_id,)) == 1
        assert (
            scalar(conn, "select count(*) from pgflow.step_states where run_id = %s", (run_id,))
            == 2
        )
        assert (
            scalar(conn, "select count(*) from pgflow.step_tasks where run_id = %s", (run_id,)) == 1
        )


def test_concurrent_start_flow_of_two_flows_with_one_run_id_raises_pf014(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("owner_a", [("only", [], {})])
    sql_flow("owner_b", [("only", [], {})])

    def start(flow_slug: str, run_id: uuid.UUID) -> Call:
        def call(c: psycopg.Connection[TupleRow]) -> Any:
            try:
                return scalar(
                    c, "select flow_slug from pgflow.start_flow(%s, '{}', %s)", (flow_slug, run_id)
                )
            except psycopg.Error as error:
                return error.sqlstate

        return call

    for _ in range(REPEAT):
        run_id = uuid.uuid4()
        results = released_together(connect, [start("owner_a", run_id), start("owner_b", run_id)])
        owner = scalar(conn, "select flow_slug from pgflow.runs where run_id = %s", (run_id,))
        loser = "owner_b" if owner == "owner_a" else "owner_a"
        expected = [owner, "PF014"] if owner == "owner_a" else ["PF014", owner]
        assert results == expected, f"the {loser} call must get PF014, not a raw unique violation"


# --- cancel_run vs completion -------------------------------------------------------


def test_a_completion_then_a_blocked_cancel(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("cancel_late", [("only", [], {})])
    run_id = scalar(conn, "select run_id from pgflow.start_flow('cancel_late', '{}')")
    claim_all(conn, "cancel_late")
    with interleaved(connect, complete(run_id, "only", "done"), cancel(run_id)) as (a, b):
        assert a.result() == "completed"
        assert b.result() == "completed", "cancelling a run that just completed is a no-op"
    run = conn.execute(
        "select status, output, cancelled_at from pgflow.runs where run_id = %s", (run_id,)
    ).fetchone()
    assert run == ("completed", {"only": "done"}, None)


def test_a_cancel_then_a_blocked_completion(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("cancel_first", [("only", [], {})])
    run_id = scalar(conn, "select run_id from pgflow.start_flow('cancel_first', '{}')")
    claim_all(conn, "cancel_first")
    with interleaved(connect, cancel(run_id), complete(run_id, "only", "done")) as (a, b):
        assert a.result() == "cancelled"
        assert b.result() == "cancelled", "the late completion is a no-op"
    run = conn.execute(
        "select status, output, completed_at from pgflow.runs where run_id = %s", (run_id,)
    ).fetchone()
    assert run == ("cancelled", None, None)
    task = conn.execute(
        "select status, output from pgflow.step_tasks where run_id = %s", (run_id,)
    ).fetchone()
    assert task == ("cancelled", None)


def test_cancels_and_completions_released_together_end_consistent(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("cancel_free", [("only", [], {})])
    outcomes = set()
    for _ in range(REPEAT):
        run_id = scalar(conn, "select run_id from pgflow.start_flow('cancel_free', '{}')")
        claim_all(conn, "cancel_free")
        released_together(connect, [complete(run_id, "only", "done"), cancel(run_id)])
        run = conn.execute(
            "select status, output, completed_at is not null, cancelled_at is not null"
            " from pgflow.runs where run_id = %s",
            (run_id,),
        ).fetchone()
        task = conn.execute(
            "select status, output from pgflow.step_tasks where run_id = %s", (run_id,)
        ).fetchone()
        assert (run, task) in (
            (("completed", {"only": "done"}, True, False), ("completed", "done")),
            (("cancelled", None, False, True), ("cancelled", None)),
        )
        assert run is not None
        outcomes.add(run[0])
    assert outcomes <= {"completed", "cancelled"}


# --- a stale holder and the current holder complete at the same time ---------------


def test_stale_and_current_holders_completing_together_count_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("two_holders", [("work", [], {}), ("after", ["work"], {})], timeout=1, max_attempts=5)
    for _ in range(5):
        run_id = scalar(conn, "select run_id from pgflow.start_flow('two_holders', '{}')")
        assert [c for c in claim_all(conn, "two_holders") if c[0] == run_id] == [
            (run_id, "work", 0, 1)
        ]
        conn.execute("select pgflow.set_test_clock(now() + interval '2 seconds')")
        assert [c for c in claim_all(conn, "two_holders") if c[0] == run_id] == [
            (run_id, "work", 0, 2)
        ]
        conn.execute("select pgflow.set_test_clock(null)")
        results = released_together(
            connect,
            [complete(run_id, "work", "stale", 0, 1), complete(run_id, "work", "current", 0, 2)],
        )
        assert results == ["completed", "completed"]
        output = scalar(
            conn,
            "select output from pgflow.step_tasks where run_id = %s and step_slug = 'work'",
            (run_id,),
        )
        assert output in ("stale", "current")
        assert (
            scalar(
                conn,
                "select count(*) from pgflow.step_tasks where run_id = %s and step_slug = 'after'",
                (run_id,),
            )
            == 1
        )
        assert (
            scalar(conn, "select remaining_steps from pgflow.runs where run_id = %s", (run_id,))
            == 1
        )


# --- complete_tasks batches spanning the same runs, listed in opposite orders ---------
# A batch locks rows table by table in key order: two batches sharing several
# runs must neither deadlock nor lose a count.

RUNS = 4


def complete_batch(tasks: list[tuple[Any, str, int]]) -> Call:
    """complete_tasks for (run_id, step_slug, task_index) items; output = task_index."""

    def call(c: psycopg.Connection[TupleRow]) -> Any:
        return scalar(
            c,
            "select pgflow.complete_tasks(%s, %s, %s, %s)",
            (
                [t[0] for t in tasks],
                [t[1] for t in tasks],
                [Jsonb(t[2]) for t in tasks],
                [t[2] for t in tasks],
            ),
        )

    return call


def test_batches_sharing_map_steps_of_several_runs_count_each_task_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("batch_maps", [("each", [], {"step_type": "map"}), ("after", ["each"], {})])
    for _ in range(REPEAT):
        runs = [
            scalar(conn, "select run_id from pgflow.start_flow('batch_maps', '[0, 1, 2, 3]')")
            for _ in range(RUNS)
        ]
        claim_all(conn, "batch_maps")
        low = [(run_id, "each", i) for run_id in runs for i in (0, 1)]
        high = [(run_id, "each", i) for run_id in reversed(runs) for i in (3, 2)]
        assert released_together(connect, [complete_batch(low), complete_batch(high)]) == [
            2 * RUNS,
            2 * RUNS,
        ]
        states = conn.execute(
            "select ss.status, ss.output, ss.remaining_tasks,"
            " (select count(*) from pgflow.step_tasks as t"
            "  where t.run_id = ss.run_id and t.step_slug = 'after'),"
            " (select r.remaining_steps from pgflow.runs as r where r.run_id = ss.run_id)"
            " from pgflow.step_states as ss"
            " where ss.run_id = any(%s) and ss.step_slug = 'each'",
            (runs,),
        ).fetchall()
        assert states == [("completed", [0, 1, 2, 3], 0, 1, 1)] * RUNS, (
            "each map step completed once, in element order, and started its dependent once"
        )


def test_batches_completing_the_last_leaves_of_several_runs_complete_each_run_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("batch_leaves", [("left", [], {}), ("right", [], {})])
    for _ in range(REPEAT):
        runs = [
            scalar(conn, "select run_id from pgflow.start_flow('batch_leaves', '{}')")
            for _ in range(RUNS)
        ]
        claim_all(conn, "batch_leaves")
        lefts = [(run_id, "left", 0) for run_id in runs]
        rights = [(run_id, "right", 0) for run_id in reversed(runs)]
        assert released_together(connect, [complete_batch(lefts), complete_batch(rights)]) == [
            RUNS,
            RUNS,
        ]
        finished = conn.execute(
            "select status, output, remaining_steps from pgflow.runs where run_id = any(%s)",
            (runs,),
        ).fetchall()
        assert finished == [("completed", {"left": 0, "right": 0}, 0)] * RUNS, (
            "every run completed once, its output holding both leaves"
        )
