"""Flows for the execution-fidelity tests (long handlers, cancellation, fencing).

Load them as ``tests/python/e2e/fidelity_flows.py:Name``.  Handlers record
what they did in ``test_effects`` (see ``conftest.EFFECTS_TABLE``) through
their own connection, so tests can see which attempt ran where and whether
a handler was told to stop.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

import psycopg

from pgflow import Flow
from pgflow.run.worker import TaskContext, current_task

_local = threading.local()


def _connection() -> psycopg.Connection[tuple[object, ...]]:
    conn: psycopg.Connection[tuple[object, ...]] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        _local.conn = conn
    return conn


def record(phase: str, task: TaskContext | None = None) -> TaskContext:
    """Insert one row for the running task: ``phase`` says where the handler was."""
    task = task or current_task()
    _connection().execute(
        "insert into test_effects (run_id, step_slug, task_index, attempt, pid, phase)"
        " values (%s, %s, %s, %s, %s, %s)",
        (task.run_id, task.step_slug, task.task_index, task.attempt, os.getpid(), phase),
    )
    return task


def _wait_or_stop(seconds: float) -> str:
    """Sleep ``seconds`` unless told to stop first; the phase to record."""
    task = current_task()
    if task.wait_stopped(seconds):
        return f"stopped:{task.stop_reason}"
    return "done"


# -- a handler that runs longer than its step's (heartbeat) timeout

Long = Flow("test_long", max_attempts=3, base_delay=0, timeout=2)


@Long.step()
def long(run: dict[str, Any]) -> dict[str, int]:
    task = record("begin")
    time.sleep(float(run["seconds"]))
    record("done")
    return {"attempt": task.attempt}


# -- an attempt that overruns its execution_timeout (the handler is told)

Overrun = Flow("test_overrun", max_attempts=2, base_delay=0, timeout=5)


@Overrun.step(execution_timeout=2)
def slow(run: dict[str, Any]) -> dict[str, int]:
    task = record("begin")
    if task.attempt == 1:
        record(_wait_or_stop(60))
    return {"attempt": task.attempt}


# -- long sync and async handlers, cancelled with their run

Cancellable = Flow("test_cancellable", max_attempts=3, base_delay=0, timeout=2)


@Cancellable.step()
def sync_wait(run: dict[str, Any]) -> str:
    record("begin")
    if run.get("wait"):
        record(_wait_or_stop(60))
    return "sync"


@Cancellable.step()
async def async_wait(run: dict[str, Any]) -> str:
    task = current_task()
    await asyncio.to_thread(record, "begin", task)
    if run.get("wait"):
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(record, f"cancelled:{task.stop_reason}", task))
            raise
        await asyncio.to_thread(record, "done", task)
    return "async"


# -- a step without a handler here (served by a worker in another language)

Partial = Flow("test_partial", max_attempts=1, timeout=30)


@Partial.step()
def before(run: dict[str, Any]) -> int:
    record("done")
    return int(run["x"]) + 1


elsewhere = Partial.add_step("elsewhere", depends_on=[before])


@Partial.step(elsewhere)
def after(run: dict[str, Any], elsewhere: int) -> int:
    record("done")
    return elsewhere * 10


# -- one flow slug, two definitions (dropped and recreated between them)

Recreated = Flow("test_recreated", max_attempts=1, timeout=30)


@Recreated.step()
def one(run: dict[str, Any]) -> str:
    record("v1")
    return "v1"


RecreatedV2 = Flow("test_recreated", max_attempts=1, timeout=30)


@RecreatedV2.step(slug="one", timeout=10)
def one_v2(run: dict[str, Any]) -> str:
    record("v2")
    return "v2"


# -- always fails: every attempt's error and traceback are on record

Failing = Flow("test_failing", max_attempts=3, base_delay=0, timeout=30)


def _explode(attempt: int) -> None:
    raise ValueError(f"exploded on attempt {attempt}")


@Failing.step()
def explode(run: dict[str, Any]) -> None:
    task = record("begin")
    _explode(task.attempt)
