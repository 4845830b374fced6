"""Flows for the worker, client and end-to-end tests.

Load them as ``tests/python/flows/flows.py:Name`` (a FLOW_REF).

Handlers run in worker subprocesses; each records what it did in the table
``test_effects`` through its own connection (``DATABASE_URL`` from the
environment), so tests can count how many times each task's handler ran, in
which attempt and in which process.
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

CREATE_TABLE = """
create table test_effects (
    id bigserial primary key,
    run_id uuid not null,
    step_slug text not null,
    task_index int not null,
    attempt int not null,
    pid int not null,
    phase text not null,
    at timestamptz not null default clock_timestamp()
)
"""

_local = threading.local()


def _connection() -> psycopg.Connection[tuple[object, ...]]:
    conn: psycopg.Connection[tuple[object, ...]] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        _local.conn = conn
    return conn


def record(phase: str = "done") -> TaskContext:
    """Insert one row for the running task: ``phase`` says where the handler was."""
    task = current_task()
    _connection().execute(
        "insert into test_effects (run_id, step_slug, task_index, attempt, pid, phase)"
        " values (%s, %s, %s, %s, %s, %s)",
        (task.run_id, task.step_slug, task.task_index, task.attempt, os.getpid(), phase),
    )
    return task


# -- a diamond with a sync and an async branch: a -> (b, c) -> d

Diamond = Flow("test_diamond", timeout=30)


@Diamond.step()
def a(run: dict[str, Any]) -> int:
    record()
    return int(run["x"]) + 1


@Diamond.step(a)
def b(run: dict[str, Any], a: int) -> int:
    record()
    return a * 2


@Diamond.step(a)
async def c(run: dict[str, Any], a: int) -> int:
    await asyncio.sleep(0.001)
    await asyncio.to_thread(record)
    return a * 3


@Diamond.step(b, c)
def d(run: dict[str, Any], b: int, c: int) -> dict[str, int]:
    record()
    return {"sum": b + c, "x": int(run["x"])}


# -- fan-out and fan-in: split -> double[] (map) -> total

Mapped = Flow("test_map", timeout=30)


@Mapped.step()
def split(run: dict[str, Any]) -> list[int]:
    record()
    return [int(n) for n in run["numbers"]]


@Mapped.map(split)
def double(number: int) -> int:
    record()
    return number * 2


@Mapped.step(double)
def total(run: dict[str, Any], double: list[int]) -> dict[str, Any]:
    record()
    return {"doubled": double, "total": sum(double)}


# -- failures: one succeeds on its third attempt, one never does

Flaky = Flow("test_flaky", max_attempts=3, base_delay=1, timeout=30)


@Flaky.step()
def flaky(run: dict[str, Any]) -> dict[str, int]:
    task = record()
    if task.attempt < 3:
        raise ConnectionError(f"transient failure on attempt {task.attempt}")
    return {"succeeded_on": task.attempt}


Doomed = Flow("test_doomed", max_attempts=2, base_delay=0, timeout=30)


@Doomed.step()
def first(run: dict[str, Any]) -> str:
    record()
    return "ok"


@Doomed.step(first)
def doomed(run: dict[str, Any], first: str) -> None:
    record()
    raise RuntimeError(f"boom for {run['name']}")


@Doomed.step(doomed)
def never(run: dict[str, Any], doomed: None) -> None:
    record()


# -- slow handlers: graceful stops and crashes

Slow = Flow("test_slow", timeout=60)


@Slow.step()
def nap(run: dict[str, Any]) -> dict[str, float]:
    record("begin")
    time.sleep(float(run["seconds"]))
    record("done")
    return {"slept": float(run["seconds"])}


Crashy = Flow("test_crashy", max_attempts=3, base_delay=0, timeout=2)
"""Lease of 2 s: a crashed worker's tasks are claimable again 2 s after the claim."""


@Crashy.step()
def work(run: dict[str, Any]) -> dict[str, int]:
    task = record("begin")
    if task.attempt == 1:
        time.sleep(float(run["first_attempt_seconds"]))
    record("done")
    return {"n": int(run["n"]), "attempt": task.attempt}
