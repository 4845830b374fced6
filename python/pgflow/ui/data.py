"""What the pages read: typed rows from pgflow's tables, through named queries.

Every read is one short autocommit statement (or one read-only repeatable-read
transaction for a run, so its steps, tasks and attempts agree) on a pooled
connection.  Nothing here decides anything: the state is the tables'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.run.rows import Run, RunSummary, StepState, StepTask, TaskAttempt, row_cursor

__all__ = [
    "FlowRow",
    "FlowStep",
    "RunPage",
    "flow_steps",
    "list_flows",
    "list_runs",
    "read_run",
    "run_fingerprints",
]


@dataclass(frozen=True, slots=True)
class FlowRow:
    flow_slug: str
    max_attempts: int
    base_delay: int
    timeout: int
    created_at: datetime
    retired_at: datetime | None
    step_count: int
    shape_hash: str | None
    runs_in_flight: int


@dataclass(frozen=True, slots=True)
class FlowStep:
    step_slug: str
    step_index: int
    step_type: str
    max_attempts: int
    base_delay: int
    timeout: int
    delay_seconds: int
    run_if: Any
    run_unless: Any
    when_unmet: str
    when_exhausted: str
    execution_timeout: int | None
    options: Any
    deps: list[str]


@dataclass(frozen=True, slots=True)
class LimitUse:
    """A flow-controlled step's limits and their use now, for one bucket of a run's queued tasks."""

    step_slug: str
    bucket: str
    """The ``concurrency_key`` value as JSON text (``'"acme"'``), or ``''``: no key."""
    concurrency: int | None
    rate_limit: int | None
    rate_period: int | None
    in_flight: int
    recent_starts: int


@dataclass(frozen=True, slots=True)
class RunPage:
    """A run as one consistent snapshot: the run, its flow's steps, states, tasks, attempts."""

    run: Run
    flow_steps: tuple[FlowStep, ...]
    steps: tuple[StepState, ...]
    tasks: tuple[StepTask, ...]
    attempts: tuple[TaskAttempt, ...]
    now: datetime
    limits: tuple[LimitUse, ...] = ()
    """Flow control in use for the run's queued tasks (see ``ui_limit_use``)."""


def list_flows(pool: ConnectionPool[Any]) -> list[FlowRow]:
    with pool.connection() as conn, row_cursor(conn, FlowRow) as cur:
        return cur.execute(queries.UI_LIST_FLOWS).fetchall()


def flow_steps(pool: ConnectionPool[Any], flow_slug: str) -> list[FlowStep]:
    with pool.connection() as conn:
        return _flow_steps(conn, flow_slug)


def _flow_steps(conn: psycopg.Connection[Any], flow_slug: str) -> list[FlowStep]:
    with row_cursor(conn, FlowStep) as cur:
        return cur.execute(queries.UI_FLOW_STEPS, {"flow_slug": flow_slug}).fetchall()


def list_runs(
    pool: ConnectionPool[Any],
    *,
    flow_slug: str | None,
    statuses: list[str] | None,
    since_ago: str | None,
    limit: int,
) -> list[RunSummary]:
    params = {
        "flow_slug": flow_slug,
        "statuses": statuses,
        "since": None,
        "since_ago": since_ago,
        "limit": limit,
    }
    with pool.connection() as conn, row_cursor(conn, RunSummary) as cur:
        return cur.execute(queries.LIST_RUNS, params).fetchall()


def read_run(pool: ConnectionPool[Any], run_id: UUID) -> RunPage | None:
    """The run and everything the run page shows, or None when there is no such run."""
    params = {"run_id": run_id}
    with pool.connection() as conn, conn.transaction():
        conn.execute(queries.READ_SNAPSHOT)
        with row_cursor(conn, Run) as cur:
            run = cur.execute(queries.GET_RUN, params).fetchone()
        if run is None:
            return None
        steps_of_flow = _flow_steps(conn, run.flow_slug)
        with row_cursor(conn, StepState) as cur:
            steps = cur.execute(queries.GET_STEP_STATES, params).fetchall()
        with row_cursor(conn, StepTask) as cur:
            tasks = cur.execute(queries.GET_STEP_TASKS, params).fetchall()
        with row_cursor(conn, TaskAttempt) as cur:
            attempts = cur.execute(queries.GET_RUN_ATTEMPTS, params).fetchall()
        row = conn.execute(queries.SERVER_NOW).fetchone()
        assert row is not None
        now: datetime = row[0]
        limits: list[LimitUse] = []
        if any(task.status == "queued" for task in tasks):
            with row_cursor(conn, LimitUse) as cur:
                limits = cur.execute(
                    queries.UI_LIMIT_USE, {**params, "flow_slug": run.flow_slug, "now": now}
                ).fetchall()
    return RunPage(
        run=run,
        flow_steps=tuple(steps_of_flow),
        steps=tuple(steps),
        tasks=tuple(tasks),
        attempts=tuple(attempts),
        now=now,
        limits=tuple(limits),
    )


def run_fingerprints(conn: psycopg.Connection[Any], run_ids: list[UUID]) -> dict[UUID, str]:
    rows = conn.execute(queries.UI_RUN_FINGERPRINTS, {"run_ids": run_ids}).fetchall()
    return {row[0]: str(row[1]) for row in rows}
