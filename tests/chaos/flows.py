"""Flows whose handlers run in the chaos suite's worker processes.

Loaded by ``pgflow worker tests/chaos/flows.py:Mix`` (a file FLOW_REF, so
this module imports nothing of the suite). Every handler execution records
itself in ``chaos_effects`` (run, step, task, attempt, pid and a fresh
token) before it returns that token inside its output, so the checker can
prove that each completed output came from a real execution of a claimed
attempt.

``Mix``: a -> (fan: a map over a's list, b) -> join. Run input
``{"n": N, "k": K}``; join's output is a pure function of N and K
(:func:`expected_total`), so a result crossing runs would show.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from typing import Any

import psycopg

from pgflow import Flow
from pgflow.run.worker import current_task

EFFECTS_TABLE = """
create table chaos_effects (
    id bigserial primary key,
    run_id uuid not null,
    step_slug text not null,
    task_index int not null,
    attempt int not null,
    pid int not null,
    token text not null unique,
    at timestamptz not null default clock_timestamp()
)
"""

_local = threading.local()


def _execute(query: str, params: tuple[object, ...]) -> None:
    """Run one statement on this thread's connection, reconnecting after a server crash."""
    conn: psycopg.Connection[tuple[object, ...]] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed or conn.broken:
        conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, connect_timeout=5)
        _local.conn = conn
    try:
        conn.execute(query, params)
    except psycopg.OperationalError:
        conn.close()
        raise


def record() -> str:
    """Record this execution; returns its token (the handler puts it in its output)."""
    task = current_task()
    token = uuid.uuid4().hex
    # Hold the task for a moment, so kills and crashes find work in flight.
    time.sleep(random.uniform(0.0, 0.1))
    _execute(
        "insert into chaos_effects (run_id, step_slug, task_index, attempt, pid, token)"
        " values (%s, %s, %s, %s, %s, %s)",
        (task.run_id, task.step_slug, task.task_index, task.attempt, os.getpid(), token),
    )
    return token


def expected_total(n: int, k: int) -> int:
    """join's ``total`` for run input ``{"n": n, "k": k}``."""
    values = [n * 100 + i for i in range(k)]
    return sum(v * 2 for v in values) + sum(values)


Mix = Flow("chaos_mix", max_attempts=60, base_delay=0, timeout=3)


@Mix.step()
def a(run: dict[str, Any]) -> list[dict[str, Any]]:
    token = record()
    n, k = int(run["n"]), int(run["k"])
    return [{"v": n * 100 + i, "token": token} for i in range(k)]


@Mix.map(a)
def fan(item: dict[str, Any]) -> dict[str, Any]:
    return {"v": int(item["v"]) * 2, "token": record()}


@Mix.step(a)
def b(run: dict[str, Any], a: list[dict[str, Any]]) -> dict[str, Any]:
    return {"sum": sum(int(e["v"]) for e in a), "token": record()}


@Mix.step(fan, b)
def join(run: dict[str, Any], fan: list[dict[str, Any]], b: dict[str, Any]) -> dict[str, Any]:
    total = sum(int(e["v"]) for e in fan) + int(b["sum"])
    return {"total": total, "token": record()}


Poison = Flow("chaos_poison", max_attempts=2, base_delay=0, timeout=5)
"""A one-step flow for the poison-payload attack: the handler only measures its input."""


@Poison.step()
def echo(run: object) -> dict[str, Any]:
    return {"keys": sorted(run) if isinstance(run, dict) else None}
