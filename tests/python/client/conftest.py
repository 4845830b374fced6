"""Fixtures for client tests: a deployed two-step flow and a client on the test database.

``act`` plays the worker for the first task of a step; ``hand`` (a
:class:`Hand`) claims every visible task and reports the one named, for map
steps and retries.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from pgflow import Client, Flow, deploy_flow


@pytest.fixture
def client(database_url: str) -> Iterator[Client]:
    with Client(database_url) as c:
        yield c


@pytest.fixture
def two_steps(conn: psycopg.Connection[TupleRow]) -> Flow[Any]:
    """``two_steps``: first -> second, one attempt each (handlers are not run here)."""
    flow = Flow("two_steps", max_attempts=1, timeout=30)
    flow.add_step("first", lambda run: run)
    flow.add_step("second", lambda run, first: first, depends_on=["first"])
    deploy_flow(conn, flow)
    return flow


Act = Callable[[str, str, object], None]


@pytest.fixture
def act(conn: psycopg.Connection[TupleRow]) -> Act:
    """Play the worker by hand: ``act(step, "complete"|"fail", output_or_error)``.

    Claims the step's task through ``claim_tasks`` and reports it with
    ``complete_task`` / ``fail_task``, so tests need no worker process.
    """
    worker_id = uuid.uuid4()
    conn.execute("select pgflow.register_worker(%s)", (worker_id,))

    def act_on(step_slug: str, action: str, value: object) -> None:
        rows = conn.execute(
            "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, 10)",
            (worker_id,),
        ).fetchall()
        matching = [r for r in rows if r[1] == step_slug]
        assert matching, f"no task of {step_slug} to claim: {rows}"
        run_id, _, index, attempt = matching[0]
        if action == "complete":
            conn.execute(
                "select pgflow.complete_task(%s, %s, %s, %s, %s)",
                (run_id, step_slug, Jsonb(value), index, attempt),
            )
        else:
            conn.execute(
                "select pgflow.fail_task(%s, %s, %s, %s, %s)",
                (run_id, step_slug, str(value), index, attempt),
            )

    return act_on


class Hand:
    """A registered worker that claims every visible task and reports them one at a time."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.worker_id = uuid.uuid4()
        conn.execute("select pgflow.register_worker(%s)", (self.worker_id,))
        self.held: dict[tuple[UUID, str, int], int] = {}

    def claim(self) -> None:
        rows = self.conn.execute(
            "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, 100)",
            (self.worker_id,),
        ).fetchall()
        for run_id, step_slug, index, attempt in rows:
            self.held[(run_id, step_slug, index)] = attempt

    def _take(self, run_id: UUID, step_slug: str, index: int) -> int:
        self.claim()
        key = (run_id, step_slug, index)
        assert key in self.held, f"no task {step_slug}[{index}] to report: {sorted(self.held)}"
        return self.held.pop(key)

    def complete(self, run_id: UUID, step_slug: str, output: object, index: int = 0) -> None:
        attempt = self._take(run_id, step_slug, index)
        self.conn.execute(
            "select pgflow.complete_task(%s, %s, %s, %s, %s)",
            (run_id, step_slug, Jsonb(output), index, attempt),
        )

    def fail(
        self,
        run_id: UUID,
        step_slug: str,
        error: str,
        index: int = 0,
        detail: str | None = None,
    ) -> None:
        attempt = self._take(run_id, step_slug, index)
        self.conn.execute(
            "select pgflow.fail_task(%s, %s, %s, %s, %s, %s)",
            (run_id, step_slug, error, index, attempt, detail),
        )


@pytest.fixture
def hand(conn: psycopg.Connection[TupleRow]) -> Hand:
    return Hand(conn)
