"""Retries through a worker: backoff, then success; exhausted attempts fail the run."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from pgflow import Client, Flow
from pgflow.tools.testing import WorkerProcess

WorkerFactory = Callable[..., WorkerProcess]


def test_a_handler_that_fails_twice_then_succeeds(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Flaky")
    worker = workers(["Flaky"])

    # base_delay 1: retries after 1 s and 2 s. The database sends no
    # notification when a retry becomes due; the worker must wake by itself
    # (well before its 5 s poll interval).
    run = client.start("test_flaky", {}).wait(timeout=20)

    assert run.status == "completed"
    assert run.output == {"flaky": {"succeeded_on": 3}}
    (task,) = client.get_run(run.run_id).tasks
    assert (task.status, task.attempts_count) == ("completed", 3)
    attempts = effects.execute(
        "select attempt, at from test_effects where run_id = %s order by attempt", (run.run_id,)
    ).fetchall()
    assert [a for a, _ in attempts] == [1, 2, 3]
    gaps = [(b - a).total_seconds() for (_, a), (_, b) in itertools.pairwise(attempts)]
    assert 0.9 <= gaps[0] < 3.0, gaps
    assert 1.9 <= gaps[1] < 4.0, gaps
    log = worker.log_text()
    assert "attempt 1 of 3" in log
    assert "ConnectionError: transient failure on attempt 1; retry at" in log


def test_a_handler_that_always_fails_exhausts_attempts_and_fails_the_run(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Doomed")
    worker = workers(["Doomed"])

    run = client.start("test_doomed", {"name": "alice"}).wait(timeout=20)

    assert run.status == "failed"
    details = client.get_run(run.run_id)
    statuses = {s.step_slug: s.status for s in details.steps}
    assert statuses["first"] == "completed"
    assert statuses["doomed"] == "failed"
    assert statuses["never"] in ("created", "cancelled")
    (task,) = details.tasks_of("doomed")
    assert (task.status, task.attempts_count) == ("failed", 2)
    assert task.error_message == "RuntimeError: boom for alice"
    assert "boom for alice" in (details.step("doomed").error_message or "")
    ran = effects.execute(
        "select step_slug, attempt from test_effects where run_id = %s order by 1, 2",
        (run.run_id,),
    ).fetchall()
    assert ran == [("doomed", 1), ("doomed", 2), ("first", 1)]
    # the worker logs after fail_task commits, so the run can finish first:
    # stop it (its log is complete once it exited) before reading the log
    assert worker.stop() == 0
    assert "no attempts left" in worker.log_text()
