"""Connections, flows and runs for the race scenarios, and the barrier that releases racers.

Every racer is a call on its own connection (the worker role for claims,
completions and failures, the client role for cancels), run on its own
thread; a barrier releases them together so their transactions overlap.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.types.json import Jsonb
from tests.chaos.harness.db import Conn, Roles, connect

__all__ = ["Arena", "Claim", "Outcome", "Racer", "Task"]

WORKER_CONNECTIONS = 8
CLIENT_CONNECTIONS = 2


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: UUID
    step_slug: str
    task_index: int
    attempt: int


@dataclass(frozen=True, slots=True)
class Task:
    status: str
    attempts: int
    output: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one racer's call returned, or the SQLSTATE and message it raised."""

    value: Any = None
    error: str | None = None


Racer = tuple[Conn, Callable[[Conn], Any]]
"""A connection and the call to make on it."""


class Arena:
    def __init__(self, database_url: str, roles: Roles) -> None:
        self.admin = connect(database_url)
        self.workers = [
            connect(roles.url(database_url, roles.worker)) for _ in range(WORKER_CONNECTIONS)
        ]
        self.clients = [
            connect(roles.url(database_url, roles.client)) for _ in range(CLIENT_CONNECTIONS)
        ]
        self._pool = ThreadPoolExecutor(max_workers=WORKER_CONNECTIONS + CLIENT_CONNECTIONS)
        self._names = itertools.count()

    def close(self) -> None:
        self._pool.shutdown()
        for conn in [self.admin, *self.workers, *self.clients]:
            conn.close()

    # -- set-up, as the owner and the client ---------------------------------------

    def flow(
        self,
        steps: Sequence[tuple[str, Sequence[str], str]],
        *,
        max_attempts: int = 3,
        timeout: int = 60,
    ) -> str:
        """A new flow of ``(step, deps, step_type)`` steps, base_delay 0; returns its slug."""
        slug = f"race_{next(self._names)}"
        self.admin.execute(
            "select pgflow.create_flow(%s, max_attempts => %s, base_delay => 0, timeout => %s)",
            (slug, max_attempts, timeout),
        )
        for step, deps, step_type in steps:
            self.admin.execute(
                "select pgflow.add_step(%s, %s, deps => %s, step_type => %s)",
                (slug, step, list(deps), step_type),
            )
        return slug

    def start(self, flow: str, run_input: Any = None) -> UUID:
        run_id = uuid4()
        self.clients[0].execute(
            "select pgflow.start_flow(%s, %s, %s)", (flow, Jsonb(run_input or {}), run_id)
        )
        return run_id

    # -- worker calls ----------------------------------------------------------------

    @staticmethod
    def claim(conn: Conn, flow: str, max_tasks: int = 10) -> list[Claim]:
        rows = conn.execute(
            "select run_id, step_slug, task_index, attempt"
            " from pgflow.claim_tasks(%s, %s, array[%s])",
            (uuid4(), max_tasks, flow),
        ).fetchall()
        return [Claim(*row) for row in rows]

    @staticmethod
    def complete(conn: Conn, claim: Claim, output: Any) -> Any:
        return conn.execute(
            "select status from pgflow.complete_task(%s, %s, %s, %s, %s)",
            (claim.run_id, claim.step_slug, Jsonb(output), claim.task_index, claim.attempt),
        ).fetchone()

    @staticmethod
    def fail(conn: Conn, claim: Claim, message: str = "racing failure") -> Any:
        return conn.execute(
            "select status from pgflow.fail_task(%s, %s, %s, %s, %s)",
            (claim.run_id, claim.step_slug, message, claim.task_index, claim.attempt),
        ).fetchone()

    @staticmethod
    def cancel(conn: Conn, run_id: UUID) -> Any:
        return conn.execute("select status from pgflow.cancel_run(%s)", (run_id,)).fetchone()

    # -- the race ----------------------------------------------------------------------

    def race(self, racers: Sequence[Racer]) -> list[Outcome]:
        """Run every racer's call on its own thread, released together; one outcome each."""
        barrier = threading.Barrier(len(racers))

        def play(racer: Racer) -> Outcome:
            conn, call = racer
            barrier.wait(timeout=30)
            try:
                return Outcome(value=call(conn))
            except psycopg.Error as error:
                return Outcome(error=f"{error.sqlstate}: {error}")

        futures = [self._pool.submit(play, racer) for racer in racers]
        return [future.result(timeout=120) for future in futures]

    # -- reading the result, as the owner -----------------------------------------------

    def task(self, run_id: UUID, step: str, index: int = 0) -> Task:
        row = self.admin.execute(
            "select status, attempts_count, output from pgflow.step_tasks"
            " where run_id = %s and step_slug = %s and task_index = %s",
            (run_id, step, index),
        ).fetchone()
        assert row is not None, f"no task {run_id}/{step}/{index}"
        return Task(*row)

    def run_state(self, run_id: UUID) -> tuple[str, Any]:
        row = self.admin.execute(
            "select status, output from pgflow.runs where run_id = %s", (run_id,)
        ).fetchone()
        assert row is not None, f"no run {run_id}"
        return row[0], row[1]
