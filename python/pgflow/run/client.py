"""Start runs, wait for them, read their state, cancel and retry them; day-2 operations.

::

    from pgflow import Client

    with Client("postgresql://localhost/app") as client:
        run = client.start("analyze_website_v2", {"url": "https://example.com"})
        final = run.wait(timeout=30)          # LISTEN pgflow_runs, no polling loop
        print(final.status, final.output)
        details = run.get_run()               # steps, tasks, attempts, errors, timings
        if final.status == "failed":          # fix the cause, then resume in place
            client.retry(run.run_id).wait()

Every call is one short autocommit statement on a pooled connection; the
database decides everything (ordering, retries, completion).  ``wait``
listens on ``pgflow_runs`` *before* reading the run's status, so a run that
finishes in between is never missed, and re-reads the status every
``poll_interval`` seconds as a fallback (e.g. after a reconnect).

A notification is only a hint: any role that can connect may send one on
``pgflow_runs`` with any payload, so ``wait`` never believes what it says.
On a notification naming a run it waits for (or one it cannot read), it
reads the runs' status from ``pgflow.runs`` and returns only once the table
says the run is finished.

Reads never fail because of what a run holds: a JSON value Python's decoder
cannot handle (nested deeper than about 1,000 levels, an integer of more than
4,300 digits) comes back as an :class:`~pgflow.jsonb.UndecodableJson` marker
in place of the value (see :mod:`pgflow.run.rows`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, LiteralString, TypeVar, cast, overload
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from pgflow import queries
from pgflow.define.dsl import Flow
from pgflow.errors import (
    DatabaseUnavailableError,
    FlowNotFoundError,
    PgflowError,
    RunNotFoundError,
    translate,
)
from pgflow.jsonb import JsonValue
from pgflow.payload.codec import CodecContext, Payloads
from pgflow.run.retry import retry
from pgflow.run.rows import (
    FINISHED_RUN_STATUSES,
    FlowInfo,
    PruneResult,
    Run,
    RunDetails,
    RunStatus,
    RunSummary,
    StepState,
    StepTask,
    TaskAttempt,
    WorkerInfo,
    row_cursor,
)
from pgflow.run.tracing import current_trace_context

__all__ = ["Client", "RunHandle", "WaitTimeoutError"]

log = logging.getLogger("pgflow.client")

T = TypeVar("T")

DEFAULT_POLL_INTERVAL = 5.0
"""Seconds between fallback status reads while waiting for a notification."""

DEFAULT_PRUNE_BATCH = 1000
"""Runs deleted per transaction by :meth:`Client.prune`."""

DEFAULT_SILENT_AFTER = timedelta(seconds=60)
"""A running worker without a heartbeat for this long is listed as ``silent``."""


class WaitTimeoutError(PgflowError, TimeoutError):
    """A run did not finish within the timeout given to ``wait``.

    ``run_ids`` are the runs still unfinished.
    """

    def __init__(self, message: str, *, run_ids: tuple[UUID, ...], timeout: float) -> None:
        super().__init__(message)
        self.run_ids = run_ids
        self.timeout = timeout


def _as_uuid(run_id: UUID | str) -> UUID:
    return run_id if isinstance(run_id, UUID) else UUID(str(run_id))


def _encode_input(value: object) -> str:
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise TypeError(f"run input is not JSON-serialisable: {error}") from None


class RunHandle:
    """One run, as returned by :meth:`Client.start` or :meth:`Client.run`."""

    __slots__ = ("_client", "flow_slug", "run_id")

    def __init__(self, client: Client, run_id: UUID, flow_slug: str | None = None) -> None:
        self._client = client
        self.run_id = run_id
        self.flow_slug = flow_slug

    def __repr__(self) -> str:
        return f"RunHandle({self.run_id}, flow={self.flow_slug!r})"

    def wait(self, timeout: float | None = None, *, poll_interval: float | None = None) -> Run:
        """Block until the run finishes; returns its final row.

        Raises :class:`WaitTimeoutError` after ``timeout`` seconds.  A failed or
        cancelled run is returned, not raised: check ``run.status``.
        """
        return self._client.wait(self.run_id, timeout, poll_interval=poll_interval)

    def status(self) -> Run:
        """The run's row now (status, output, timestamps)."""
        return self._client.get_run_row(self.run_id)

    def get_run(self) -> RunDetails:
        """The run with every step state and task (one consistent snapshot)."""
        return self._client.get_run(self.run_id)

    def cancel(self) -> Run:
        """Cancel the run (``pgflow.cancel_run``); returns its row afterwards."""
        return self._client.cancel(self.run_id)

    def retry(self, from_steps: Sequence[str] | None = None) -> RunHandle:
        """Retry the run in place (``pgflow.retry_run``): see :meth:`Client.retry`."""
        return self._client.retry(self.run_id, from_steps=from_steps)

    def attempts(self) -> tuple[TaskAttempt, ...]:
        """Every attempt of every task of the run (``pgflow.run_attempts``)."""
        return self._client.attempts(self.run_id)


class Client:
    """A connection pool to a pgflow database and the calls on runs.

    ``url`` defaults to ``$DATABASE_URL``.  Pass ``pool`` to share a
    :class:`psycopg_pool.ConnectionPool` (its connections must be autocommit);
    the client then does not close it.  Use as a context manager, or call
    :meth:`close`.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        pool: ConnectionPool[Any] | None = None,
        max_connections: int = 4,
        connect_timeout: float = 10.0,
        payloads: Payloads | None = None,
    ) -> None:
        # codecs: secrets sealed with PGFLOW_KEYS by default (see pgflow.payload)
        self.payloads = payloads if payloads is not None else Payloads.from_env()
        self._secret_inputs: dict[str, tuple[str, ...]] = {}
        if pool is not None:
            self._pool = pool
            self._owns_pool = False
            return
        conninfo = url or os.environ.get("DATABASE_URL")
        if not conninfo:
            raise DatabaseUnavailableError("no database URL: pass one or set DATABASE_URL")
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            name="pgflow-client",
            open=False,
        )
        self._owns_pool = True
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout:
            self._pool.close(timeout=0)
            raise self._unreachable(conninfo, connect_timeout) from None

    @staticmethod
    def _unreachable(conninfo: str, timeout: float) -> DatabaseUnavailableError:
        # The pool only says it timed out; one direct attempt gives the reason.
        try:
            psycopg.connect(conninfo, connect_timeout=max(1, int(timeout))).close()
        except psycopg.Error as error:
            return DatabaseUnavailableError(f"cannot connect to the database: {str(error).strip()}")
        return DatabaseUnavailableError(f"no database connection within {timeout:g} s")

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        if self._owns_pool:
            self._pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as error:
            raise translate(error) from error

    # -- runs ----------------------------------------------------------------------

    @overload
    def start(self, flow: Flow[T], input: T, *, run_id: UUID | str | None = None) -> RunHandle: ...

    @overload
    def start(
        self, flow: str, input: object = None, *, run_id: UUID | str | None = None
    ) -> RunHandle: ...

    def start(
        self,
        flow: Flow[Any] | str,
        input: object = None,
        *,
        run_id: UUID | str | None = None,
    ) -> RunHandle:
        """Start a run of ``flow`` (a :class:`Flow` or its slug) with ``input``.

        ``input`` defaults to ``{}``.  ``run_id`` is an idempotency key: starting
        again with the same id returns the existing run (``RunIdConflictError``
        if it belongs to another flow).
        """
        slug = flow.slug if isinstance(flow, Flow) else flow
        carrier = current_trace_context()
        value = {} if input is None else input
        paths = flow.secret_input if isinstance(flow, Flow) else self._secret_input(slug)
        if paths:  # the database only ever sees these sealed
            value = self.payloads.seal_input(slug, paths, cast(JsonValue, value))
        params = {
            "flow_slug": slug,
            "input": _encode_input(value),
            "run_id": None if run_id is None else _as_uuid(run_id),
            "trace_context": Jsonb(carrier) if carrier else None,
        }
        with self._connection() as conn, row_cursor(conn, Run) as cur:
            run = cur.execute(queries.START_FLOW, params).fetchone()
        assert run is not None
        log.debug("started run %s of %s", run.run_id, slug)
        return RunHandle(self, run.run_id, run.flow_slug)

    def _secret_input(self, slug: str) -> tuple[str, ...]:
        """The flow's secret input paths, read once per slug (flows are immutable).

        Only with a secrets codec: without one there is nothing to seal with,
        and ``start_flow`` refuses a plain secret (``PlainSecretError``).
        """
        if self.payloads.secrets is None:
            return ()
        paths = self._secret_inputs.get(slug)
        if paths is None:
            with self._connection() as conn:
                row = conn.execute(queries.FLOW_SECRET_INPUT, {"flow_slug": slug}).fetchone()
            paths = tuple(row[0] or ()) if row is not None else ()
            self._secret_inputs[slug] = paths
        return paths

    def _opened(self, run: Run) -> Run:
        """The run with its sealed input and output opened (envelopes no codec here opens stay)."""
        if not self.payloads.active:
            return run
        context = CodecContext(run.flow_slug)
        return replace(
            run,
            input=self.payloads.open(run.input, context, strict=False),
            output=self.payloads.open(run.output, context, strict=False),
        )

    def run(self, run_id: UUID | str) -> RunHandle:
        """A handle on an existing run (nothing is read until you call it)."""
        return RunHandle(self, _as_uuid(run_id))

    def get_run_row(self, run_id: UUID | str) -> Run:
        """The row of ``pgflow.runs``; :class:`RunNotFoundError` if there is none.

        ``input`` or ``output`` is an :class:`~pgflow.jsonb.UndecodableJson`
        marker when Python cannot decode the stored value.
        """
        uid = _as_uuid(run_id)
        with self._connection() as conn:
            return self._read_run(conn, uid)

    def get_run(self, run_id: UUID | str) -> RunDetails:
        """The run, its step states (definition order) and tasks, from one snapshot.

        Never raises because of what the run holds: every ``input`` or
        ``output`` (of the run, a step or a task) that Python cannot decode
        (JSON nested deeper than about 1,000 levels, an integer of more than
        4,300 digits) is an :class:`~pgflow.jsonb.UndecodableJson` marker that
        names the reason and the size, and everything else is read as usual.

        ``history`` holds every attempt of every task (``pgflow.run_attempts``:
        outcome, worker, times, error and traceback), and ``read_at`` the
        server's clock, against which :meth:`RunDetails.due_at` says when a
        delayed or retrying step's next task becomes claimable.
        """
        uid = _as_uuid(run_id)
        with self._connection() as conn, conn.transaction():
            conn.execute(queries.READ_SNAPSHOT)
            run = self._read_run(conn, uid)
            with row_cursor(conn, StepState) as cur:
                steps = cur.execute(queries.GET_STEP_STATES, {"run_id": uid}).fetchall()
            with row_cursor(conn, StepTask) as cur:
                tasks = cur.execute(queries.GET_STEP_TASKS, {"run_id": uid}).fetchall()
            with row_cursor(conn, TaskAttempt) as cur:
                history = cur.execute(queries.GET_RUN_ATTEMPTS, {"run_id": uid}).fetchall()
            now_row = conn.execute(queries.SERVER_NOW).fetchone()
        if self.payloads.active:  # sealed outputs come back opened (when a codec here can)
            context = CodecContext(run.flow_slug)
            steps = [
                replace(s, output=self.payloads.open(s.output, context, strict=False))
                for s in steps
            ]
            tasks = [
                replace(
                    t,
                    input=self.payloads.open(t.input, context, strict=False),
                    output=self.payloads.open(t.output, context, strict=False),
                )
                for t in tasks
            ]
        return RunDetails(
            run=run,
            steps=tuple(steps),
            tasks=tuple(tasks),
            history=tuple(history),
            read_at=None if now_row is None else now_row[0],
        )

    def attempts(self, run_id: UUID | str) -> tuple[TaskAttempt, ...]:
        """Every attempt of every task of a run, oldest first per task.

        Outcomes: ``running``, ``completed``, ``failed``, ``lease_expired``,
        ``timed_out``, ``cancelled``, ``superseded`` (a completion a retry
        asked to redo).  :class:`RunNotFoundError` if there is no such run.
        """
        uid = _as_uuid(run_id)
        with self._connection() as conn, conn.transaction():
            conn.execute(queries.READ_SNAPSHOT)
            self._read_run(conn, uid)
            with row_cursor(conn, TaskAttempt) as cur:
                return tuple(cur.execute(queries.GET_RUN_ATTEMPTS, {"run_id": uid}).fetchall())

    def cancel(self, run_id: UUID | str) -> Run:
        """Cancel a run (``pgflow.cancel_run``): unfinished steps and tasks stop."""
        uid = _as_uuid(run_id)
        with self._connection() as conn, row_cursor(conn, Run) as cur:
            run = cur.execute(queries.CANCEL_RUN, {"run_id": uid}).fetchone()
        if run is None:
            raise RunNotFoundError(f"run {uid} not found", sqlstate="PF010")
        return run

    def retry(self, run_id: UUID | str, from_steps: Sequence[str] | None = None) -> RunHandle:
        """Retry a run in place (``pgflow.retry_run``); returns its handle, like :meth:`start`.

        Without ``from_steps``, resumes a failed or cancelled run: completed
        steps (and the completed elements of a map step) are kept, the rest
        runs again with a fresh attempt budget.  With ``from_steps``, those
        steps and everything downstream of them run again, also on a
        completed run.  Raises :class:`~pgflow.errors.RunNotFoundError`,
        :class:`~pgflow.errors.RunNotRetryableError` (still running, or
        completed without ``from_steps``),
        :class:`~pgflow.errors.StepNotFoundError` or
        :class:`~pgflow.errors.InvalidOptionError` (an empty ``from_steps``).
        """
        if isinstance(from_steps, str):
            raise TypeError("from_steps is a sequence of step slugs, not one string")
        uid = _as_uuid(run_id)
        params = {"run_id": uid, "from_steps": None if from_steps is None else list(from_steps)}
        with self._connection() as conn, row_cursor(conn, Run) as cur:
            run = cur.execute(queries.RETRY_RUN, params).fetchone()
        assert run is not None
        log.debug("retried run %s (retry %d)", run.run_id, run.retry_count)
        return RunHandle(self, run.run_id, run.flow_slug)

    def list_runs(
        self,
        *,
        flow: Flow[Any] | str | None = None,
        status: RunStatus | Sequence[RunStatus] | None = None,
        since: datetime | timedelta | None = None,
        limit: int = 50,
    ) -> list[RunSummary]:
        """Runs, newest first: of one flow, in some statuses, started since a time.

        ``since`` is a time, or a span measured back from the server's clock
        (``timedelta(hours=1)``: the last hour).  At most ``limit`` rows.
        """
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        slug = flow.slug if isinstance(flow, Flow) else flow
        statuses = [status] if isinstance(status, str) else status
        params = {
            "flow_slug": slug,
            "statuses": None if statuses is None else list(statuses),
            "since": since if isinstance(since, datetime) else None,
            "since_ago": since if isinstance(since, timedelta) else None,
            "limit": limit,
        }
        with self._connection() as conn, row_cursor(conn, RunSummary) as cur:
            return cur.execute(queries.LIST_RUNS, params).fetchall()

    # -- flows and workers -------------------------------------------------------------

    def flow_info(self, flow: Flow[Any] | str) -> FlowInfo:
        """A flow's registration: options, ``retired_at``, runs in flight.

        :class:`~pgflow.errors.FlowNotFoundError` if it is not registered.
        """
        slug = flow.slug if isinstance(flow, Flow) else flow
        with self._connection() as conn, row_cursor(conn, FlowInfo) as cur:
            info = cur.execute(queries.GET_FLOW, {"flow_slug": slug}).fetchone()
        if info is None:
            raise FlowNotFoundError(f"flow {slug} does not exist", sqlstate="PF002")
        return info

    def retire(self, flow: Flow[Any] | str) -> FlowInfo:
        """Retire a flow (``pgflow.retire_flow``): no new runs, runs in flight finish.

        ``start`` then raises :class:`~pgflow.errors.FlowRetiredError`; retrying
        its runs still works.  Retiring a retired flow changes nothing.
        Needs ``pgflow_operator`` (or the owner).
        """
        return self._flow_call(queries.RETIRE_FLOW, flow)

    def unretire(self, flow: Flow[Any] | str) -> FlowInfo:
        """Take a retired flow back into service (``pgflow.unretire_flow``)."""
        return self._flow_call(queries.UNRETIRE_FLOW, flow)

    def _flow_call(self, query: LiteralString, flow: Flow[Any] | str) -> FlowInfo:
        slug = flow.slug if isinstance(flow, Flow) else flow
        with self._connection() as conn, row_cursor(conn, FlowInfo) as cur:
            info = cur.execute(query, {"flow_slug": slug}).fetchone()
        assert info is not None
        return info

    def workers(
        self, *, include_stopped: bool = True, silent_after: timedelta = DEFAULT_SILENT_AFTER
    ) -> list[WorkerInfo]:
        """Registered workers, running ones first, with the steps they serve.

        ``state`` is ``live``, ``silent`` (running, but no heartbeat for
        ``silent_after``) or ``stopped``.
        """
        params = {"include_stopped": include_stopped, "silent_after": silent_after}
        with self._connection() as conn, row_cursor(conn, WorkerInfo) as cur:
            return cur.execute(queries.LIST_WORKERS, params).fetchall()

    def prune(
        self,
        older_than: timedelta,
        *,
        max_runs: int | None = None,
        batch_size: int = DEFAULT_PRUNE_BATCH,
        workers: bool = True,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> PruneResult:
        """Delete finished runs (and forgotten workers) older than ``older_than``.

        Runs go oldest first in batches of ``batch_size``, one short
        transaction each (``pgflow.prune_runs``), until none is left or
        ``max_runs`` are gone; ``on_batch(deleted, total)`` is called after
        each batch.  With ``workers``, workers stopped (or silent) for longer
        than ``older_than`` are forgotten too (``pgflow.prune_workers``).
        Needs ``pgflow_operator`` (or the owner).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if max_runs is not None and max_runs < 0:
            raise ValueError(f"max_runs must be >= 0, got {max_runs}")
        total = batches = 0
        with self._connection() as conn:
            while max_runs is None or total < max_runs:
                size = batch_size if max_runs is None else min(batch_size, max_runs - total)
                row = conn.execute(
                    queries.PRUNE_RUNS, {"older_than": older_than, "max_runs": size}
                ).fetchone()
                deleted = int(row[0]) if row is not None else 0
                if deleted == 0:
                    break
                total += deleted
                batches += 1
                if on_batch is not None:
                    on_batch(deleted, total)
                if deleted < size:
                    break
            pruned_workers = 0
            if workers:
                row = conn.execute(queries.PRUNE_WORKERS, {"older_than": older_than}).fetchone()
                pruned_workers = int(row[0]) if row is not None else 0
        return PruneResult(runs=total, workers=pruned_workers, batches=batches)

    def _read_run(self, conn: psycopg.Connection[Any], run_id: UUID) -> Run:
        with row_cursor(conn, Run) as cur:
            run = cur.execute(queries.GET_RUN, {"run_id": run_id}).fetchone()
        if run is None:
            raise RunNotFoundError(f"run {run_id} not found", sqlstate="PF010")
        return self._opened(run)

    # -- waiting ---------------------------------------------------------------------

    def wait(
        self,
        run_id: UUID | str,
        timeout: float | None = None,
        *,
        poll_interval: float | None = None,
    ) -> Run:
        """Block until the run is completed, failed or cancelled; return its row.

        Waits on ``LISTEN pgflow_runs``; a notification only makes it read the
        run's status from ``pgflow.runs`` (a forged one cannot end the wait),
        and it also reads it every ``poll_interval`` seconds (default 5) in
        case a notification was missed.  Raises :class:`WaitTimeoutError` when
        ``timeout`` seconds pass first, :class:`RunNotFoundError` if there is
        no such run.
        """
        uid = _as_uuid(run_id)
        return self.wait_all([uid], timeout, poll_interval=poll_interval)[uid]

    def wait_all(
        self,
        run_ids: Collection[UUID | str],
        timeout: float | None = None,
        *,
        poll_interval: float | None = None,
        on_finished: Callable[[UUID, RunStatus], None] | None = None,
    ) -> dict[UUID, Run]:
        """Wait for several runs at once; returns ``{run_id: final row}``.

        ``on_finished(run_id, status)`` is called as each run finishes (for
        progress displays).  Raises :class:`WaitTimeoutError` naming the runs
        still unfinished when ``timeout`` passes.
        """
        ids = [_as_uuid(r) for r in run_ids]
        interval = DEFAULT_POLL_INTERVAL if poll_interval is None else poll_interval
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = set(ids)
        # A lost connection loses the notifications sent meanwhile: each retry
        # reconnects, listens again and re-reads the statuses.
        retry(
            "wait",
            lambda: self._wait_on_connection(pending, deadline, timeout, interval, on_finished),
            log=log,
            deadline=deadline,
        )
        with self._connection() as conn, row_cursor(conn, Run) as cur:
            rows = cur.execute(queries.GET_RUNS, {"run_ids": ids}).fetchall()
        found = {run.run_id: run for run in rows}
        return {uid: self._opened(found[uid]) for uid in ids}

    def _wait_on_connection(
        self,
        pending: set[UUID],
        deadline: float | None,
        timeout: float | None,
        interval: float,
        on_finished: Callable[[UUID, RunStatus], None] | None,
    ) -> None:
        def finished(uid: UUID, status: RunStatus) -> None:
            if uid in pending:
                pending.discard(uid)
                if on_finished is not None:
                    on_finished(uid, status)

        with self._connection() as conn:
            conn.execute(queries.LISTEN_RUNS)
            try:
                # Listening first, then reading: a run finishing in between
                # shows up either in this read or as a notification.
                self._read_statuses(conn, pending, finished)
                next_poll = time.monotonic() + interval
                while pending:
                    now = time.monotonic()
                    remaining = None if deadline is None else deadline - now
                    if remaining is not None and remaining <= 0:
                        unfinished = tuple(sorted(pending, key=str))
                        raise WaitTimeoutError(
                            f"{len(unfinished)} run(s) still unfinished after {timeout:g} s: "
                            + ", ".join(str(u) for u in unfinished[:5])
                            + (" ..." if len(unfinished) > 5 else ""),
                            run_ids=unfinished,
                            timeout=timeout or 0.0,
                        )
                    slice_ = max(0.0, next_poll - now)
                    if remaining is not None:
                        slice_ = min(slice_, remaining)
                    hinted = _wait_for_hint(conn, pending, slice_)
                    # A hint is only a reason to look: the table decides. The
                    # fallback poll runs on time, however busy the channel is.
                    if hinted or time.monotonic() >= next_poll:
                        self._read_statuses(conn, pending, finished)
                        next_poll = time.monotonic() + interval
            finally:
                if not conn.closed and not conn.broken:
                    conn.execute(queries.UNLISTEN_ALL)

    @staticmethod
    def _read_statuses(
        conn: psycopg.Connection[Any],
        pending: set[UUID],
        finished: Callable[[UUID, RunStatus], None],
    ) -> None:
        rows = conn.execute(queries.GET_RUN_STATUSES, {"run_ids": list(pending)}).fetchall()
        seen = set()
        for run_id, status in rows:
            seen.add(run_id)
            if status in FINISHED_RUN_STATUSES:
                finished(run_id, status)
        missing = pending - seen
        if missing:
            raise RunNotFoundError(
                "run not found: " + ", ".join(str(u) for u in sorted(missing, key=str)),
                sqlstate="PF010",
            )


def _wait_for_hint(conn: psycopg.Connection[Any], pending: set[UUID], timeout: float) -> bool:
    """Wait up to ``timeout`` s for a ``pgflow_runs`` notification that may concern ``pending``.

    True at the first notification naming a pending run, or one whose payload
    cannot be read; other runs' notifications are skipped.  What the payload
    says about the status is ignored: anyone can send one.
    """
    notifications = conn.notifies(timeout=timeout)
    try:
        for notify in notifications:
            run_id = _notified_run(notify.payload)
            if run_id is None or run_id in pending:
                # Leaving the generator drops the rest of its packet: fine,
                # since the caller now reads every pending run's status.
                return True
    finally:
        notifications.close()
    return False


def _notified_run(payload: str) -> UUID | None:
    """The ``run_id`` of a ``pgflow_runs`` payload; None if it cannot be read."""
    try:
        data = json.loads(payload)
        return UUID(str(data["run_id"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
