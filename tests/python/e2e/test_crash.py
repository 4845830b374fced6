"""A worker killed while it holds tasks: another completes them after the lease."""

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
        time.sleep(0.05)


def test_tasks_of_a_killed_worker_are_completed_once_by_another(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Crashy")  # timeout=2: the lease
    doomed = workers(["Crashy"], "--concurrency", "10")
    runs = [
        client.start("test_crashy", {"n": n, "first_attempt_seconds": 60}).run_id for n in range(6)
    ]
    # Every handler started in the first worker (attempt 1, sleeping), then it dies.
    _wait_for(effects, "select count(*) from test_effects where phase = 'begin'", (6,))
    doomed.kill()
    assert doomed.wait(10) != 0
    killed_at = time.monotonic()

    rescuer = workers(["Crashy"])
    finished = client.wait_all(runs, timeout=30)
    elapsed = time.monotonic() - killed_at

    assert {run.status for run in finished.values()} == {"completed"}
    for n, run_id in enumerate(runs):
        assert finished[run_id].output == {"work": {"n": n, "attempt": 2}}
    assert elapsed < 15, f"rescue took {elapsed:.1f} s with a 2 s lease"
    # Attempt 1 began in the killed worker and never finished; attempt 2 ran
    # once in the rescuer; each task completed exactly once.
    rows = effects.execute(
        "select attempt, phase, pid, count(*) from test_effects group by 1, 2, 3 order by 1, 2"
    ).fetchall()
    assert rows == [
        (1, "begin", doomed.pid, 6),
        (2, "begin", rescuer.pid, 6),
        (2, "done", rescuer.pid, 6),
    ]
    tasks = effects.execute(
        "select status, attempts_count, count(*) from pgflow.step_tasks group by 1, 2"
    ).fetchall()
    assert tasks == [("completed", 2, 6)]
    assert rescuer.stop() == 0
