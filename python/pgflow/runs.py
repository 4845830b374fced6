"""Typed rows of pgflow's run state: runs, step states, tasks and claims.

Each class mirrors the columns the SDK selects from ``pgflow.runs``,
``pgflow.step_states`` and ``pgflow.step_tasks`` (see ``queries.sql``), and is
filled through :func:`row_cursor`.  Statuses are ``Literal`` types with the
values documented in ``docs/sql-reference.md``.

JSON columns (``input``, ``output``) hold the decoded value (``JsonValue``),
except a value Python's decoder cannot handle (JSON nested deeper than about
1,000 levels, an integer of more than 4,300 digits): such a value is an
:class:`~pgflow.jsonb.UndecodableJson` marker carrying the reason and the
size, so reading a run never raises because of what the run holds.  Check
``isinstance(run.input, UndecodableJson)`` where that matters; the value itself
is intact in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, TypeAlias, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import set_json_loads

from pgflow.jsonb import UndecodableJson, decode_json

__all__ = [
    "FINISHED_RUN_STATUSES",
    "ClaimedTask",
    "JsonValue",
    "Run",
    "RunDetails",
    "RunStatus",
    "StepState",
    "StepStatus",
    "StepTask",
    "StepType",
    "TaskOutcome",
    "TaskStatus",
    "UndecodableJson",
    "row_cursor",
]

JsonValue: TypeAlias = Any
"""A decoded JSON value: dict, list, str, int, float, bool or None.

Or an :class:`~pgflow.jsonb.UndecodableJson` marker for a stored value that
Python cannot decode (see the module docstring).
"""

RowT = TypeVar("RowT")

RunStatus: TypeAlias = Literal["started", "completed", "failed", "cancelled"]
StepStatus: TypeAlias = Literal["created", "started", "completed", "failed", "skipped", "cancelled"]
TaskStatus: TypeAlias = Literal["queued", "started", "completed", "failed", "cancelled"]
StepType: TypeAlias = Literal["single", "map"]
TaskOutcome: TypeAlias = Literal["completed", "failed"]

FINISHED_RUN_STATUSES: Final[frozenset[RunStatus]] = frozenset({"completed", "failed", "cancelled"})


def _span(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


@dataclass(frozen=True, slots=True)
class Run:
    """One row of ``pgflow.runs``."""

    run_id: UUID
    flow_slug: str
    status: RunStatus
    input: JsonValue
    output: JsonValue
    remaining_steps: int
    started_at: datetime
    completed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    error_message: str | None

    @property
    def finished(self) -> bool:
        """True once the run is completed, failed or cancelled (final states)."""
        return self.status in FINISHED_RUN_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "completed"

    @property
    def finished_at(self) -> datetime | None:
        return self.completed_at or self.failed_at or self.cancelled_at

    @property
    def duration(self) -> timedelta | None:
        """Start to finish, or None while the run is still going."""
        return _span(self.started_at, self.finished_at)


@dataclass(frozen=True, slots=True)
class StepState:
    """One row of ``pgflow.step_states``, with the step's index and type."""

    run_id: UUID
    flow_slug: str
    step_slug: str
    step_index: int
    step_type: StepType
    status: StepStatus
    remaining_deps: int
    initial_tasks: int | None
    remaining_tasks: int | None
    output: JsonValue
    error_message: str | None
    skip_reason: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    failed_at: datetime | None
    skipped_at: datetime | None
    cancelled_at: datetime | None

    @property
    def finished_at(self) -> datetime | None:
        return self.completed_at or self.failed_at or self.skipped_at or self.cancelled_at

    @property
    def duration(self) -> timedelta | None:
        """From the step becoming ready (started) to its final state."""
        return _span(self.started_at, self.finished_at)


@dataclass(frozen=True, slots=True)
class StepTask:
    """One row of ``pgflow.step_tasks``: one unit of work of a step."""

    run_id: UUID
    flow_slug: str
    step_slug: str
    task_index: int
    status: TaskStatus
    attempts_count: int
    max_attempts: int
    input: JsonValue
    output: JsonValue
    error_message: str | None
    visible_at: datetime | None
    claimed_by: UUID | None
    queued_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None

    @property
    def duration(self) -> timedelta | None:
        """Last claim to final state (the successful attempt's handler time)."""
        return _span(self.started_at, self.completed_at or self.failed_at)


@dataclass(frozen=True, slots=True)
class RunDetails:
    """A run with every step state and task, as ``Client.get_run`` returns it."""

    run: Run
    steps: tuple[StepState, ...]
    tasks: tuple[StepTask, ...]

    @property
    def run_id(self) -> UUID:
        return self.run.run_id

    @property
    def status(self) -> RunStatus:
        return self.run.status

    @property
    def output(self) -> JsonValue:
        return self.run.output

    def step(self, step_slug: str) -> StepState:
        """The state of one step; ``KeyError`` if the run has no such step."""
        for state in self.steps:
            if state.step_slug == step_slug:
                return state
        raise KeyError(f"run {self.run.run_id} has no step {step_slug!r}")

    def tasks_of(self, step_slug: str) -> tuple[StepTask, ...]:
        """The tasks of one step in task_index order."""
        return tuple(t for t in self.tasks if t.step_slug == step_slug)

    def attempts(self, step_slug: str) -> int:
        """Attempts the step's tasks used, summed over its tasks."""
        return sum(t.attempts_count for t in self.tasks_of(step_slug))

    def errors(self) -> dict[str, str]:
        """step_slug → error message, for every step or task that kept one."""
        found: dict[str, str] = {}
        for task in self.tasks:
            if task.error_message and task.step_slug not in found:
                found[task.step_slug] = task.error_message
        for state in self.steps:
            if state.error_message:
                found[state.step_slug] = state.error_message
        return found


@dataclass(frozen=True, slots=True)
class ClaimedTask:
    """A task leased to a worker by ``pgflow.claim_tasks``.

    ``input`` is ``{"run": <run input>, "<dep>": <dep output>, ...}`` for a
    single step and the array element for a map step, or an
    :class:`~pgflow.jsonb.UndecodableJson` marker when Python cannot decode
    it (the worker then fails the task without calling the handler, see
    :attr:`input_error`).  ``attempt`` must be passed back to
    ``complete_task`` / ``fail_task``.
    """

    run_id: UUID
    flow_slug: str
    step_slug: str
    task_index: int
    attempt: int
    input: JsonValue
    lease_expires_at: datetime

    @property
    def key(self) -> str:
        """A short human-readable name: ``flow/step[index] (run <uuid>)``."""
        return f"{self.flow_slug}/{self.step_slug}[{self.task_index}] (run {self.run_id})"

    @property
    def input_error(self) -> str | None:
        """Why the input could not be decoded, or None when it was."""
        if isinstance(self.input, UndecodableJson):
            return (
                f"input could not be decoded: {self.input.reason} ({self.input.size} bytes of JSON)"
            )
        return None


def row_cursor(conn: psycopg.Connection[Any], row_type: type[RowT]) -> psycopg.Cursor[RowT]:
    """A cursor on ``conn`` returning ``row_type`` rows (``class_row``).

    Its ``json``/``jsonb`` values decode with :func:`~pgflow.jsonb.decode_json`:
    a value Python cannot decode becomes an :class:`~pgflow.jsonb.UndecodableJson`
    marker instead of an exception that would lose every other row.  The
    loader is set on the cursor only, so a connection from a caller's pool is
    left as it was.
    """
    cur = conn.cursor(row_factory=class_row(row_type))
    set_json_loads(decode_json, cur)
    return cur
