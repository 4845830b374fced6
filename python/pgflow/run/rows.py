"""Typed rows of pgflow's run state: runs, step states, tasks, attempts and claims.

Also the rows of day-2 operations: :class:`FlowInfo` (a flow's registration
and retirement), :class:`RunSummary` (``pgflow runs``), :class:`WorkerInfo`
(``pgflow workers``) and :class:`PruneResult`.

Each class mirrors the columns the SDK selects from ``pgflow.runs``,
``pgflow.step_states`` and ``pgflow.step_tasks`` (see ``queries.sql``), and is
filled through :func:`row_cursor`.  Statuses are ``Literal`` types with the
values documented in ``docs/sql-reference.md``.

JSON columns (``input``, ``output``) hold the decoded value (a
:data:`~pgflow.jsonb.JsonValue`), except a value Python's decoder cannot
handle (JSON nested deeper than about 1,000 levels, an integer of more than
4,300 digits): such a value is an :class:`~pgflow.jsonb.UndecodableJson`
marker carrying the reason and the size, so reading a run never raises
because of what the run holds.  Check ``isinstance(run.input,
UndecodableJson)`` where that matters; the value itself is intact in the
database.  These fields are typed ``Any`` on purpose: callers index into
outputs of a shape they know (``run.output["total"]``) without narrowing a
union first.
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
from pgflow.vocabulary import StepType

__all__ = [
    "FINISHED_RUN_STATUSES",
    "RUN_STATUSES",
    "AttemptOutcome",
    "ClaimedTask",
    "FlowInfo",
    "PruneResult",
    "Run",
    "RunDetails",
    "RunStatus",
    "RunSummary",
    "StepLimitsInfo",
    "StepState",
    "StepStatus",
    "StepTask",
    "TaskAttempt",
    "TaskOutcome",
    "TaskStatus",
    "UndecodableJson",
    "WorkerInfo",
    "WorkerState",
    "async_row_cursor",
    "row_cursor",
]

RowT = TypeVar("RowT")

RunStatus: TypeAlias = Literal["started", "completed", "failed", "cancelled"]
StepStatus: TypeAlias = Literal["created", "started", "completed", "failed", "skipped", "cancelled"]
TaskStatus: TypeAlias = Literal["queued", "started", "completed", "failed", "cancelled"]
TaskOutcome: TypeAlias = Literal["completed", "failed"]
AttemptOutcome: TypeAlias = Literal[
    "running", "completed", "failed", "lease_expired", "timed_out", "cancelled", "superseded"
]
"""How one attempt of a task ended (``pgflow.run_attempts``); ``running`` while it runs."""
WorkerState: TypeAlias = Literal["live", "silent", "stopped"]
"""``live`` heartbeating, ``silent`` running but no recent heartbeat, ``stopped``."""

RUN_STATUSES: Final[tuple[RunStatus, ...]] = ("started", "completed", "failed", "cancelled")

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
    input: Any
    output: Any
    remaining_steps: int
    started_at: datetime
    completed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    error_message: str | None
    retry_count: int = 0
    """How many times ``retry_run`` resumed or re-ran the run."""
    retried_at: datetime | None = None
    """When it last did (None: never retried)."""

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
    output: Any
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
    input: Any
    output: Any
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
class TaskAttempt:
    """One attempt of one task, a row of ``pgflow.run_attempts(run_id)``.

    ``error_detail`` is what the worker sent with a failure (a traceback).
    ``worker_id`` is None when it is not known; ``claimed_at`` too.
    """

    step_slug: str
    task_index: int
    attempt: int
    worker_id: UUID | None
    claimed_at: datetime | None
    finished_at: datetime | None
    outcome: AttemptOutcome
    error_message: str | None
    error_detail: str | None

    @property
    def duration(self) -> timedelta | None:
        """Claim to end; None while running or when the claim time is unknown."""
        return _span(self.claimed_at, self.finished_at)


@dataclass(frozen=True, slots=True)
class RunDetails:
    """A run with every step state and task, as ``Client.get_run`` returns it."""

    run: Run
    steps: tuple[StepState, ...]
    tasks: tuple[StepTask, ...]
    history: tuple[TaskAttempt, ...] = ()
    """Every attempt of every task (``pgflow.run_attempts``), step, task, attempt order."""
    read_at: datetime | None = None
    """The server's clock when the snapshot was read (to say how far a due time is)."""

    @property
    def run_id(self) -> UUID:
        return self.run.run_id

    @property
    def status(self) -> RunStatus:
        return self.run.status

    @property
    def output(self) -> Any:
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

    def attempts_of(self, step_slug: str, task_index: int | None = None) -> tuple[TaskAttempt, ...]:
        """The recorded attempts of one step (or one of its tasks), oldest first."""
        return tuple(
            a
            for a in self.history
            if a.step_slug == step_slug and (task_index is None or a.task_index == task_index)
        )

    def due_at(self, step_slug: str) -> datetime | None:
        """When the step's next queued task becomes claimable, if it waits for a time.

        A task waits after a failure (retry backoff) or for the step's
        ``delay_seconds``; None when no queued task of the step waits beyond
        :attr:`read_at` (or the snapshot has no ``read_at``).
        """
        if self.read_at is None:
            return None
        times = [
            t.visible_at
            for t in self.tasks_of(step_slug)
            if t.status == "queued" and t.visible_at is not None and t.visible_at > self.read_at
        ]
        return min(times) if times else None

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
    input: Any
    lease_expires_at: datetime
    trace_context: dict[str, str] | None = None
    """The starting caller's W3C trace context (``traceparent``), if it had one."""

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


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One line of ``Client.list_runs`` (``pgflow runs``): a run without its payloads."""

    run_id: UUID
    flow_slug: str
    status: RunStatus
    remaining_steps: int
    retry_count: int
    started_at: datetime
    finished_at: datetime | None
    retried_at: datetime | None
    error_message: str | None

    @property
    def duration(self) -> timedelta | None:
        """Start to finish, or None while the run is still going."""
        return _span(self.started_at, self.finished_at)


@dataclass(frozen=True, slots=True)
class FlowInfo:
    """A registered flow: its flow-level options and whether it is retired."""

    flow_slug: str
    max_attempts: int
    base_delay: int
    timeout: int
    created_at: datetime
    retired_at: datetime | None
    """When ``retire_flow`` took it out of service; None while it takes new runs."""
    runs_in_flight: int
    """Its runs still started (they finish normally even when the flow is retired)."""

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A registered worker (``pgflow.workers``) and the steps it serves."""

    worker_id: UUID
    hostname: str | None
    pid: int | None
    flow_slugs: list[str] | None
    started_at: datetime
    last_heartbeat_at: datetime
    stopped_at: datetime | None
    state: WorkerState
    steps: list[str]
    """``flow/step`` pairs from ``pgflow.worker_steps`` (empty: not yet verified)."""


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What ``Client.prune`` deleted."""

    runs: int
    workers: int
    batches: int


@dataclass(frozen=True, slots=True)
class StepLimitsInfo:
    """The flow control of one step (``pgflow.step_limits``); every limit None: none."""

    step_slug: str
    concurrency: int | None
    concurrency_key: list[str] | None
    rate_limit: int | None
    rate_period: int | None
    updated_at: datetime | None

    @property
    def is_limited(self) -> bool:
        return self.concurrency is not None or self.rate_limit is not None


def async_row_cursor(
    conn: psycopg.AsyncConnection[Any], row_type: type[RowT]
) -> psycopg.AsyncCursor[RowT]:
    """:func:`row_cursor` for an :class:`psycopg.AsyncConnection`."""
    cur = conn.cursor(row_factory=class_row(row_type))
    set_json_loads(decode_json, cur)
    return cur


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


@dataclass(frozen=True, slots=True)
class SecretInput:
    """The paths of a flow's run input that a client seals (``pgflow.flows.secret_input``)."""

    secret_input: list[str] | None
