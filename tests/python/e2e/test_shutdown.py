"""SIGTERM: running handlers finish and are reported; the worker exits 0 in time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from pgflow import Client, Flow
from pgflow.tools.testing import WorkerProcess

WorkerFactory = Callable[..., WorkerProcess]


def _wait_for(conn: psycopg.Connection[TupleRow], query: str, expected: object) -> None:
    deadline = time.monotonic() + 20
    while (row := conn.execute(query).fetchone()) != expected:
        assert time.monotonic() < deadline, f"{query} -> {row}, expected {expected}"
        time.sleep(0.02)


def test_sigterm_lets_running_handlers_finish_and_exits_zero(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Slow")
    worker = workers(["Slow"], "--concurrency", "3", "--grace-period", "10")
    running = [client.start("test_slow", {"seconds": 1.5}).run_id for _ in range(3)]
    _wait_for(effects, "select count(*) from test_effects where phase = 'begin'", (3,))
    waiting = client.start("test_slow", {"seconds": 0}).run_id  # no free slot for it

    worker.terminate()
    started = time.monotonic()
    code = worker.wait(timeout=15)
    took = time.monotonic() - started

    assert code == 0
    assert took < 10, f"stopped in {took:.1f} s"
    finished = client.wait_all(running, timeout=5)
    assert {run.status for run in finished.values()} == {"completed"}
    # Nothing new was claimed after the signal: the extra run still waits.
    assert client.get_run_row(waiting).status == "started"
    assert client.get_run(waiting).tasks[0].status == "queued"
    stopped = effects.execute(
        "select stopped_at is not null from pgflow.workers where pid = %s", (worker.pid,)
    ).fetchone()
    assert stopped == (True,)
    log = worker.log_text()
    assert "SIGTERM: stopping" in log
    assert "0 abandoned" in log


def test_handlers_outliving_the_grace_period_are_left_to_lease_expiry(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Slow")
    worker = workers(["Slow"], "--grace-period", "0.5")
    run_id = client.start("test_slow", {"seconds": 30}).run_id
    _wait_for(effects, "select count(*) from test_effects where phase = 'begin'", (1,))

    worker.terminate()
    started = time.monotonic()
    code = worker.wait(timeout=15)

    assert code == 5  # documented: tasks left to lease expiry
    assert time.monotonic() - started < 8
    (task,) = client.get_run(run_id).tasks
    assert (task.status, task.attempts_count) == ("started", 1)
    assert "left to lease expiry" in worker.log_text() or "leases expire" in worker.log_text()
