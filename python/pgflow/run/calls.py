"""What the sync and async clients share: each call's query, parameters and reading of rows.

:class:`~pgflow.run.client.Client` and
:class:`~pgflow.run.async_client.AsyncClient` are thin shells: they take a
connection (from their pool, or the one they were given), execute the
:class:`Call` built here, and hand the rows back to the functions here.
Everything else (argument checks, input encoding and validation, the typed
result of a run, the bookkeeping of a wait) is written once, in this module,
without I/O.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Generic, LiteralString, ParamSpec, Protocol, TypedDict, TypeVar, cast
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from pgflow import queries
from pgflow.define.dsl import Flow
from pgflow.define.models import json_adapter
from pgflow.errors import FlowNotFoundError, PgflowError, RunNotFoundError
from pgflow.jsonb import JsonValue
from pgflow.payload.codec import CodecContext, Payloads
from pgflow.run.rows import (
    FINISHED_RUN_STATUSES,
    FlowInfo,
    Run,
    RunDetails,
    RunStatus,
    RunSummary,
    SecretInput,
    StepLimitsInfo,
    StepState,
    StepTask,
    TaskAttempt,
    WorkerInfo,
)
from pgflow.run.tracing import current_trace_context

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_PRUNE_BATCH",
    "DEFAULT_SILENT_AFTER",
    "Call",
    "RunFailedError",
    "StartOptions",
    "Startable",
    "WaitState",
    "WaitTimeoutError",
    "as_uuid",
    "run_result",
]

RowT = TypeVar("RowT")
OutT_co = TypeVar("OutT_co", covariant=True)
P = ParamSpec("P")

DEFAULT_POLL_INTERVAL = 5.0
"""Seconds between fallback status reads while waiting for a notification."""

DEFAULT_PRUNE_BATCH = 1000
"""Runs deleted per transaction by ``prune``."""

DEFAULT_SILENT_AFTER = timedelta(seconds=60)
"""A running worker without a heartbeat for this long is listed as ``silent``."""

FlowRef = Flow[Any, Any] | str


class StartOptions(TypedDict, total=False):
    """The keywords of ``start`` after the flow and its input, one definition for both clients.

    ``Flow.start_signature`` carries them with the flow's run input type, so
    ``client.start(flow, input, **options)`` is checked by mypy in one piece.
    """

    run_id: UUID | str | None
    """An idempotency key: starting again with the same id returns the existing run."""
    conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any] | None
    """Start inside this connection's open transaction, committing nothing."""
    priority: int
    """Orders the run's tasks among all claimable tasks: higher is claimed first (default 0)."""


class Startable(Protocol[P, OutT_co]):
    """A :class:`~pgflow.define.dsl.Flow` as ``start`` sees it: its input, options and output.

    ``P`` is bound from the flow alone (``(input: RunT, /, **StartOptions)``)
    and the call's arguments are then checked against it; inferring the run
    type from the flow *and* a literal input at once is what mypy cannot do.
    """

    def start_signature(self, *args: P.args, **kwargs: P.kwargs) -> OutT_co: ...


class WaitTimeoutError(PgflowError, TimeoutError):
    """A run did not finish within the timeout given to ``wait``.

    ``run_ids`` are the runs still unfinished.
    """

    def __init__(self, message: str, *, run_ids: tuple[UUID, ...], timeout: float) -> None:
        super().__init__(message)
        self.run_ids = run_ids
        self.timeout = timeout


class RunFailedError(PgflowError):
    """``result()`` on a run that failed or was cancelled; ``run`` is its final row."""

    def __init__(self, run: Run) -> None:
        reason = f": {run.error_message}" if run.error_message else ""
        super().__init__(f"run {run.run_id} of flow {run.flow_slug!r} {run.status}{reason}")
        self.run = run


ClientT = TypeVar("ClientT")


class HandleBase(Generic[ClientT]):
    """What a sync and an async run handle hold: their client, the run and its flow."""

    __slots__ = ("_client", "_flow", "flow_slug", "run_id")

    def __init__(
        self,
        client: ClientT,
        run_id: UUID,
        flow_slug: str | None = None,
        flow: Flow[Any, Any] | None = None,
    ) -> None:
        self._client = client
        self._flow = flow
        self.run_id = run_id
        self.flow_slug = flow_slug

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.run_id}, flow={self.flow_slug!r})"


@dataclass(frozen=True, slots=True)
class Call(Generic[RowT]):
    """One statement: its SQL, its parameters and the row type it returns."""

    sql: LiteralString
    params: Mapping[str, object]
    row: type[RowT]


def as_uuid(run_id: UUID | str) -> UUID:
    return run_id if isinstance(run_id, UUID) else UUID(str(run_id))


def slug_of(flow: FlowRef) -> str:
    return flow.slug if isinstance(flow, Flow) else flow


def encode_input(
    flow: FlowRef,
    value: object,
    payloads: Payloads | None = None,
    secret_input: Sequence[str] = (),
) -> str:
    """The run input as JSON text: validated first when the flow's run type is a pydantic
    model, then its ``secret_input`` paths sealed by ``payloads`` (the database only ever
    sees them sealed; without a secrets codec :class:`~pgflow.payload.CodecError`)."""
    if isinstance(flow, Flow):
        adapter = json_adapter(flow.run_type)
        if adapter is not None:
            value = adapter.to_json(value, where=f"the input of flow {flow.slug!r}")
    if secret_input:
        value = (payloads or Payloads()).seal_input(
            slug_of(flow), secret_input, cast(JsonValue, value)
        )
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise TypeError(f"run input is not JSON-serialisable: {error}") from None


def start(
    flow: FlowRef,
    input: object,
    options: StartOptions,
    payloads: Payloads | None = None,
    secret_paths: Sequence[str] = (),
) -> Call[Run]:
    """``pgflow.start_flow`` with the caller's trace context (see :mod:`pgflow.run.tracing`).

    ``options`` are the caller's :class:`StartOptions` (``conn`` is the
    client's business, not a parameter of the statement).  The input's secret
    paths (the :class:`Flow`'s, else ``secret_paths`` read by the client) are
    sealed with ``payloads``.
    """
    run_id = options.get("run_id")
    priority = options.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise TypeError(f"priority must be an integer, not {priority!r}")
    carrier = current_trace_context()
    params = {
        "flow_slug": slug_of(flow),
        "input": encode_input(
            flow,
            {} if input is None else input,
            payloads,
            flow.secret_input if isinstance(flow, Flow) else secret_paths,
        ),
        "run_id": None if run_id is None else as_uuid(run_id),
        "trace_context": Jsonb(carrier) if carrier else None,
        "priority": priority,
    }
    return Call(queries.START_FLOW, params, Run)


def get_run(run_id: UUID) -> Call[Run]:
    return Call(queries.GET_RUN, {"run_id": run_id}, Run)


def get_runs(run_ids: Sequence[UUID]) -> Call[Run]:
    return Call(queries.GET_RUNS, {"run_ids": list(run_ids)}, Run)


def step_states(run_id: UUID) -> Call[StepState]:
    return Call(queries.GET_STEP_STATES, {"run_id": run_id}, StepState)


def step_tasks(run_id: UUID) -> Call[StepTask]:
    return Call(queries.GET_STEP_TASKS, {"run_id": run_id}, StepTask)


def run_attempts(run_id: UUID) -> Call[TaskAttempt]:
    return Call(queries.GET_RUN_ATTEMPTS, {"run_id": run_id}, TaskAttempt)


def cancel(run_id: UUID) -> Call[Run]:
    return Call(queries.CANCEL_RUN, {"run_id": run_id}, Run)


def retry(run_id: UUID, from_steps: Sequence[str] | None) -> Call[Run]:
    if isinstance(from_steps, str):
        raise TypeError("from_steps is a sequence of step slugs, not one string")
    steps = None if from_steps is None else list(from_steps)
    return Call(queries.RETRY_RUN, {"run_id": run_id, "from_steps": steps}, Run)


def list_runs(
    flow: FlowRef | None,
    status: RunStatus | Sequence[RunStatus] | None,
    since: datetime | timedelta | None,
    limit: int,
) -> Call[RunSummary]:
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    statuses = [status] if isinstance(status, str) else status
    params = {
        "flow_slug": None if flow is None else slug_of(flow),
        "statuses": None if statuses is None else list(statuses),
        "since": since if isinstance(since, datetime) else None,
        "since_ago": since if isinstance(since, timedelta) else None,
        "limit": limit,
    }
    return Call(queries.LIST_RUNS, params, RunSummary)


def flow_call(query: LiteralString, flow: FlowRef) -> Call[FlowInfo]:
    return Call(query, {"flow_slug": slug_of(flow)}, FlowInfo)


def step_limits(flow: FlowRef) -> Call[StepLimitsInfo]:
    return Call(queries.STEP_LIMITS, {"flow_slug": slug_of(flow)}, StepLimitsInfo)


def set_step_limits(
    flow: FlowRef,
    step_slug: str,
    *,
    concurrency: int | None,
    concurrency_key: Sequence[str] | None,
    rate_limit: int | None,
    rate_period: int | None,
) -> Call[StepLimitsInfo]:
    params = {
        "flow_slug": slug_of(flow),
        "step_slug": step_slug,
        "concurrency": concurrency,
        "concurrency_key": None if concurrency_key is None else list(concurrency_key),
        "rate_limit": rate_limit,
        "rate_period": rate_period,
    }
    return Call(queries.SET_STEP_LIMITS, params, StepLimitsInfo)


def workers(include_stopped: bool, silent_after: timedelta) -> Call[WorkerInfo]:
    params = {"include_stopped": include_stopped, "silent_after": silent_after}
    return Call(queries.LIST_WORKERS, params, WorkerInfo)


def check_prune(batch_size: int, max_runs: int | None) -> None:
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if max_runs is not None and max_runs < 0:
        raise ValueError(f"max_runs must be >= 0, got {max_runs}")


def opened(payloads: Payloads, row: RowT) -> RowT:
    """``row`` with the sealed values of its input and output opened, when a codec here can.

    Envelopes no codec here opens stay as they are (a client without keys
    still reads runs); rows of other types come back unchanged.
    """
    if not payloads.active:
        return row
    if isinstance(row, Run):
        return cast(RowT, _opened(payloads, row, CodecContext(row.flow_slug)))
    if isinstance(row, StepTask):
        return cast(RowT, _opened(payloads, row, CodecContext(row.flow_slug, row.step_slug)))
    if isinstance(row, StepState):
        context = CodecContext(row.flow_slug, row.step_slug, "output")
        return cast(RowT, replace(row, output=payloads.open(row.output, context, strict=False)))
    return row


_Opened = TypeVar("_Opened", Run, StepTask)


def _opened(payloads: Payloads, row: _Opened, context: CodecContext) -> _Opened:
    return replace(
        row,
        input=payloads.open(row.input, context, strict=False),
        output=payloads.open(row.output, context, strict=False),
    )


class SecretInputs:
    """A client's memory of flows' secret input paths, read once per slug (flows are immutable)."""

    def __init__(self, payloads: Payloads) -> None:
        self._payloads = payloads
        self._paths: dict[str, tuple[str, ...]] = {}

    def known(self, flow: FlowRef) -> tuple[str, ...] | None:
        """The paths when no read is needed (a :class:`Flow` declares its own; no keys: none)."""
        if isinstance(flow, Flow):
            return flow.secret_input
        if self._payloads.secrets is None:
            # nothing to seal with: start_flow refuses a plain secret (PlainSecretError)
            return ()
        return self._paths.get(flow)

    def lookup(self, flow: FlowRef) -> Call[SecretInput]:
        return Call(queries.FLOW_SECRET_INPUT, {"flow_slug": slug_of(flow)}, SecretInput)

    def remember(self, flow: FlowRef, row: SecretInput | None) -> tuple[str, ...]:
        paths = tuple(row.secret_input or ()) if row is not None else ()
        self._paths[slug_of(flow)] = paths
        return paths


def found_run(run: Run | None, run_id: UUID) -> Run:
    """``run``, or :class:`RunNotFoundError` when the query returned no row."""
    if run is None:
        raise RunNotFoundError(f"run {run_id} not found", sqlstate="PF010")
    return run


def flow_found(info: FlowInfo | None, flow: FlowRef) -> FlowInfo:
    """``info``, or :class:`FlowNotFoundError` when the flow is not registered."""
    if info is None:
        raise FlowNotFoundError(f"flow {slug_of(flow)} does not exist", sqlstate="PF002")
    return info


def run_details(
    run: Run,
    steps: Iterable[StepState],
    tasks: Iterable[StepTask],
    history: Iterable[TaskAttempt],
    now: datetime | None,
) -> RunDetails:
    return RunDetails(
        run=run, steps=tuple(steps), tasks=tuple(tasks), history=tuple(history), read_at=now
    )


def run_result(flow: FlowRef | None, run: Run) -> Any:
    """The output of a finished run, validated into the flow's output type when it is a model.

    Raises :class:`RunFailedError` when the run failed or was cancelled.
    """
    if run.status != "completed":
        raise RunFailedError(run)
    if isinstance(flow, Flow):
        adapter = json_adapter(flow.output_type)
        if adapter is not None:
            return adapter.from_json(run.output, where=f"the output of run {run.run_id}")
    return run.output


def notified_run(payload: str) -> UUID | None:
    """The ``run_id`` of a ``pgflow_runs`` payload; None if it cannot be read."""
    try:
        data = json.loads(payload)
        return UUID(str(data["run_id"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


class WaitState:
    """The bookkeeping of one wait for runs, shared by both clients.

    A notification is only a hint: any role that can connect may send one on
    ``pgflow_runs`` with any payload, so a waiter never believes what it says;
    it reads the runs' status from ``pgflow.runs`` (:meth:`statuses`), and
    :meth:`take_statuses` decides which runs are finished.
    """

    def __init__(
        self,
        run_ids: Collection[UUID | str],
        timeout: float | None,
        poll_interval: float | None,
        on_finished: Callable[[UUID, RunStatus], None] | None,
    ) -> None:
        self.ids = [as_uuid(r) for r in run_ids]
        self.pending = set(self.ids)
        self.timeout = timeout
        self.interval = DEFAULT_POLL_INTERVAL if poll_interval is None else poll_interval
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self._on_finished = on_finished
        self.next_poll = 0.0

    def statuses(self) -> tuple[LiteralString, Mapping[str, object]]:
        return queries.GET_RUN_STATUSES, {"run_ids": list(self.pending)}

    def take_statuses(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Mark the finished runs among ``rows``; :class:`RunNotFoundError` for missing ones."""
        seen = set()
        for run_id, status in rows:
            seen.add(run_id)
            if status in FINISHED_RUN_STATUSES and run_id in self.pending:
                self.pending.discard(run_id)
                if self._on_finished is not None:
                    self._on_finished(run_id, status)
        missing = self.pending - seen
        if missing:
            raise RunNotFoundError(
                "run not found: " + ", ".join(str(u) for u in sorted(missing, key=str)),
                sqlstate="PF010",
            )
        self.next_poll = time.monotonic() + self.interval

    def slice(self) -> float:
        """Seconds to wait for a notification now; raises :class:`WaitTimeoutError` when due."""
        now = time.monotonic()
        remaining = None if self.deadline is None else self.deadline - now
        if remaining is not None and remaining <= 0:
            unfinished = tuple(sorted(self.pending, key=str))
            raise WaitTimeoutError(
                f"{len(unfinished)} run(s) still unfinished after {self.timeout:g} s: "
                + ", ".join(str(u) for u in unfinished[:5])
                + (" ..." if len(unfinished) > 5 else ""),
                run_ids=unfinished,
                timeout=self.timeout or 0.0,
            )
        wait = max(0.0, self.next_poll - now)
        return wait if remaining is None else min(wait, remaining)

    def poll_due(self) -> bool:
        """True when the fallback read is due, however busy the channel is."""
        return time.monotonic() >= self.next_poll

    def concerns(self, payload: str) -> bool:
        """True for a notification naming a pending run, or one whose payload cannot be read."""
        run_id = notified_run(payload)
        return run_id is None or run_id in self.pending

    def results(self, rows: Iterable[Run]) -> dict[UUID, Run]:
        found = {run.run_id: run for run in rows}
        return {uid: found[uid] for uid in self.ids}
