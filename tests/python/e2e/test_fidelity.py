"""Execution fidelity, with real worker processes against the real server.

Long tasks run once (the worker extends their leases), a dead worker's task
is taken over within about the step timeout, an attempt past its
execution_timeout is ended, cancellation reaches sync and async handlers, a
worker claims only the steps it has handlers for and only of the flow
definition it verified, and every failed attempt keeps its error and
traceback.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Flow, deploy_flow, load_flow
from pgflow.tools.testing import WorkerProcess

FLOWS = Path(__file__).resolve().with_name("fidelity_flows.py")
STALE_MESSAGE = (
    "flow test_recreated was redeployed with another definition; this worker no longer"
    " claims its tasks (restart it with the current code)"
)

Conn = psycopg.Connection[TupleRow]
StartWorker = Callable[..., WorkerProcess]


def ref(name: str) -> str:
    return f"{FLOWS}:{name}"


@pytest.fixture
def deploy(effects: Conn) -> Callable[[str], Flow[Any]]:
    def deploy_by_name(name: str) -> Flow[Any]:
        flow = load_flow(ref(name))
        deploy_flow(effects, flow)
        return flow

    return deploy_by_name


@pytest.fixture
def worker(database_url: str) -> Iterator[StartWorker]:
    """``worker("Long", "--concurrency", "2")``: a ``pgflow worker`` process, killed at teardown."""
    started: list[WorkerProcess] = []

    def start(*names: str, options: tuple[str, ...] = ()) -> WorkerProcess:
        process = WorkerProcess(
            [ref(name) for name in names],
            database_url,
            options=["--poll-interval", "1", "--heartbeat-interval", "0.5", *options],
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.close()


def start_run(conn: Conn, flow_slug: str, run_input: str = "{}") -> uuid.UUID:
    row = conn.execute(
        "select run_id from pgflow.start_flow(%s, %s::jsonb)", (flow_slug, run_input)
    ).fetchone()
    assert row is not None
    run_id: uuid.UUID = row[0]
    return run_id


def wait_until(conn: Conn, query: str, params: tuple[Any, ...], expected: object) -> float:
    """Poll ``query`` until it returns ``expected``; return the seconds it took."""
    started = time.monotonic()
    deadline = started + 30
    while (row := conn.execute(query, params).fetchone()) != expected:
        assert time.monotonic() < deadline, f"{query} -> {row}, expected {expected}"
        time.sleep(0.05)
    return time.monotonic() - started


def run_status(conn: Conn, run_id: uuid.UUID) -> str:
    row = conn.execute("select status from pgflow.runs where run_id = %s", (run_id,)).fetchone()
    assert row is not None
    return str(row[0])


def wait_run(conn: Conn, run_id: uuid.UUID, status: str) -> float:
    return wait_until(
        conn, "select status from pgflow.runs where run_id = %s", (run_id,), (status,)
    )


def phases(conn: Conn, run_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select step_slug, attempt, phase, pid from test_effects where run_id = %s order by id",
        (run_id,),
    ).fetchall()


def attempts(conn: Conn, run_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select step_slug, attempt, outcome from pgflow.run_attempts(%s) order by 1, 2", (run_id,)
    ).fetchall()


# -- leases follow the work -----------------------------------------------------


def test_a_handler_longer_than_the_timeout_completes_once_with_one_attempt(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Long")  # timeout=2
    process = worker("Long")
    run_id = start_run(effects, "test_long", '{"seconds": 7}')
    wait_run(effects, run_id, "completed")
    assert [(s, a, p) for s, a, p, _ in phases(effects, run_id)] == [
        ("long", 1, "begin"),
        ("long", 1, "done"),
    ]
    assert attempts(effects, run_id) == [("long", 1, "completed")]
    assert process.stop() == 0


def test_a_killed_workers_task_is_finished_by_another_within_about_the_timeout(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Long")  # timeout=2
    doomed = worker("Long")
    run_id = start_run(effects, "test_long", '{"seconds": 4}')
    wait_until(
        effects,
        "select count(*) from test_effects where run_id = %s and phase = 'begin'",
        (run_id,),
        (1,),
    )
    time.sleep(2.5)  # past one timeout: the lease is held by extension, not by the claim
    doomed.kill()
    assert doomed.wait(10) != 0
    rescuer = worker("Long")
    taken_over = wait_until(
        effects,
        "select count(*) from test_effects where run_id = %s and attempt = 2 and phase = 'begin'",
        (run_id,),
        (1,),
    )
    assert taken_over < 2 + 1.5, f"another worker took {taken_over:.1f} s with a 2 s timeout"
    wait_run(effects, run_id, "completed")
    assert attempts(effects, run_id) == [("long", 1, "lease_expired"), ("long", 2, "completed")]
    assert rescuer.stop() == 0


def test_an_attempt_past_its_execution_timeout_fails_and_its_handler_is_told(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Overrun")  # execution_timeout=2; attempt 1 would wait 60 s
    process = worker("Overrun")
    run_id = start_run(effects, "test_overrun")
    took = wait_run(effects, run_id, "completed")
    assert took < 10
    assert ("slow", 1, "stopped:timed_out") in [(s, a, p) for s, a, p, _ in phases(effects, run_id)]
    assert attempts(effects, run_id) == [("slow", 1, "timed_out"), ("slow", 2, "completed")]
    output = effects.execute("select output from pgflow.runs where run_id = %s", (run_id,))
    assert output.fetchone() == ({"slow": {"attempt": 2}},)
    assert process.stop() == 0


# -- cancellation reaches handlers ------------------------------------------------


def test_cancelling_a_run_stops_its_sync_and_async_handlers_without_a_failure(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Cancellable")
    process = worker("Cancellable")
    run_id = start_run(effects, "test_cancellable", '{"wait": true}')
    wait_until(
        effects,
        "select count(*) from test_effects where run_id = %s and phase = 'begin'",
        (run_id,),
        (2,),
    )
    effects.execute("select pgflow.cancel_run(%s)", (run_id,))
    told = wait_until(
        effects,
        "select count(*) from test_effects where run_id = %s and phase like '%%:cancelled'",
        (run_id,),
        (2,),
    )
    assert told < 2, f"handlers were told {told:.1f} s after the cancel"
    recorded = {(s, p) for s, _, p, _ in phases(effects, run_id)}
    assert ("sync_wait", "stopped:cancelled") in recorded
    assert ("async_wait", "cancelled:cancelled") in recorded
    assert run_status(effects, run_id) == "cancelled"
    outcomes = effects.execute(
        "select distinct outcome from pgflow.task_attempts where run_id = %s", (run_id,)
    ).fetchall()
    assert outcomes in ([], [("cancelled",)])
    # the worker is healthy: it serves the next run
    next_run = start_run(effects, "test_cancellable", '{"wait": false}')
    wait_run(effects, next_run, "completed")
    assert process.poll() is None
    assert process.stop() == 0
    assert "Traceback" not in process.log_text()


# -- workers run only what they can and what they verified ---------------------------


def test_a_handler_less_step_is_left_to_another_worker(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Partial")
    process = worker("Partial")
    run_id = start_run(effects, "test_partial", '{"x": 4}')
    wait_until(
        effects,
        "select status from pgflow.step_states where run_id = %s and step_slug = 'before'",
        (run_id,),
        ("completed",),
    )
    time.sleep(1.5)  # a claim poll and more: the Python worker leaves it alone
    row = effects.execute(
        "select status, attempts_count from pgflow.step_tasks"
        " where run_id = %s and step_slug = 'elsewhere'",
        (run_id,),
    ).fetchone()
    assert row == ("queued", 0)
    # a second worker (here: plain SQL, as a worker in another language would do)
    other = uuid.uuid4()
    effects.execute("select pgflow.register_worker(%s, array['test_partial'])", (other,))
    claimed = effects.execute(
        "select step_slug, input, attempt from pgflow.claim_tasks(%s, 10, array['test_partial'])",
        (other,),
    ).fetchall()
    assert claimed == [("elsewhere", {"run": {"x": 4}, "before": 5}, 1)]
    effects.execute("select pgflow.complete_task(%s, 'elsewhere', '7'::jsonb, 0, 1)", (run_id,))
    wait_run(effects, run_id, "completed")
    output = effects.execute("select output from pgflow.runs where run_id = %s", (run_id,))
    assert output.fetchone() == ({"after": 70},)
    assert process.stop() == 0


def test_a_flow_recreated_under_an_old_worker_is_not_run_by_it_and_it_says_so_once(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Recreated")
    old = worker("Recreated")
    first = start_run(effects, "test_recreated")
    wait_run(effects, first, "completed")
    with effects.transaction():
        effects.execute("select set_config('pgflow.allow_drop_flow', 'on', true)")
        effects.execute("select pgflow.drop_flow('test_recreated')")
    deploy("RecreatedV2")
    runs = [start_run(effects, "test_recreated") for _ in range(3)]
    time.sleep(2.0)  # claims and heartbeats of the old worker
    statuses = effects.execute(
        "select status, attempts_count from pgflow.step_tasks where run_id = any(%s)", (runs,)
    ).fetchall()
    assert statuses == [("queued", 0)] * 3
    new = worker("RecreatedV2")
    for run_id in runs:
        wait_run(effects, run_id, "completed")
    ran = effects.execute(
        "select phase, pid from test_effects where run_id = any(%s)", (runs,)
    ).fetchall()
    assert ran == [("v2", new.pid)] * 3
    assert old.stop() == 0
    assert old.log_text().count(STALE_MESSAGE) == 1
    assert new.stop() == 0


# -- every attempt on record ---------------------------------------------------------


def test_a_three_attempt_failure_keeps_three_errors_with_tracebacks(
    effects: Conn, deploy: Callable[[str], Flow[Any]], worker: StartWorker
) -> None:
    deploy("Failing")
    process = worker("Failing")
    run_id = start_run(effects, "test_failing")
    wait_run(effects, run_id, "failed")
    rows = effects.execute(
        "select attempt, outcome, error_message, error_detail from pgflow.run_attempts(%s)"
        " order by attempt",
        (run_id,),
    ).fetchall()
    assert [(a, o, m) for a, o, m, _ in rows] == [
        (n, "failed", f"ValueError: exploded on attempt {n}") for n in (1, 2, 3)
    ]
    for _, _, _, detail in rows:
        assert detail.startswith("Traceback (most recent call last):")
        assert "in _explode" in detail
    assert process.stop() == 0
