"""Start runs, wait for them, read their state, cancel and retry them; day-2 operations.

::

    from pgflow import Client

    with Client("postgresql://localhost/app") as client:
        run = client.start(AnalyzeWebsite, {"url": "https://example.com"})
        record = run.result(timeout=30)       # typed by the flow; LISTEN, no polling loop
        details = run.get_run()               # steps, tasks, attempts, errors, timings
        final = run.wait()                    # the row: status, error, output (untyped)
        if final.status == "failed":          # fix the cause, then resume in place
            client.retry(run.run_id).wait()

A client takes a URL (it opens a small pool), a
:class:`psycopg_pool.ConnectionPool` (autocommit connections) or one
:class:`psycopg.Connection`.  Every call is one short statement; on a pool or
an autocommit connection it commits at once.  ``start(..., conn=c)`` runs
``pgflow.start_flow`` on the caller's connection *inside the caller's open
transaction* and commits nothing: the run and the application's own rows
commit or roll back together (a transactional outbox).

``wait`` listens on ``pgflow_runs`` *before* reading the run's status, so a
run that finishes in between is never missed, and re-reads the status every
``poll_interval`` seconds as a fallback (e.g. after a reconnect).  A
notification is only a hint (anyone may send one): the status is always read
from ``pgflow.runs``.

Reads never fail because of what a run holds: a JSON value Python's decoder
cannot handle comes back as an :class:`~pgflow.jsonb.UndecodableJson` marker
(see :mod:`pgflow.run.rows`).  The queries, parameters and row handling are
shared with :class:`~pgflow.run.async_client.AsyncClient`
(:mod:`pgflow.run.calls`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, LiteralString, ParamSpec, TypeVar, Unpack, overload
from uuid import UUID

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool, PoolTimeout
from typing_extensions import TypeVar as DefaultTypeVar

from pgflow import queries
from pgflow.define.dsl import Flow
from pgflow.errors import DatabaseUnavailableError, translate
from pgflow.payload.codec import Payloads
from pgflow.run import calls
from pgflow.run.calls import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_PRUNE_BATCH,
    DEFAULT_SILENT_AFTER,
    Call,
    RunFailedError,
    Startable,
    StartOptions,
    WaitState,
    WaitTimeoutError,
    as_uuid,
)
from pgflow.run.retry import retry
from pgflow.run.rows import (
    FlowInfo,
    PruneResult,
    Run,
    RunDetails,
    RunStatus,
    RunSummary,
    StepLimitsInfo,
    TaskAttempt,
    WorkerInfo,
    row_cursor,
)

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_PRUNE_BATCH",
    "DEFAULT_SILENT_AFTER",
    "Client",
    "RunFailedError",
    "RunHandle",
    "WaitTimeoutError",
]

log = logging.getLogger("pgflow.client")

P = ParamSpec("P")
OutT = DefaultTypeVar("OutT", default=Any)
"""The output type of a run's flow (``Any`` for a run known by its id or slug)."""
RowT = TypeVar("RowT")


class RunHandle(calls.HandleBase["Client"], Generic[OutT]):
    """One run, as returned by :meth:`Client.start` or :meth:`Client.run`.

    ``OutT`` is the flow's output type (``Flow[In, Out]``), which
    :meth:`result` returns; ``Any`` for a run started by slug.
    """

    __slots__ = ()

    def wait(self, timeout: float | None = None, *, poll_interval: float | None = None) -> Run:
        """Block until the run finishes; returns its final row (failed and cancelled too).

        Raises :class:`WaitTimeoutError` after ``timeout`` seconds.
        """
        return self._client.wait(self.run_id, timeout, poll_interval=poll_interval)

    def result(self, timeout: float | None = None, *, poll_interval: float | None = None) -> OutT:
        """Wait for the run and return its output, typed (and validated) as the flow's output.

        Raises :class:`RunFailedError` (with the final row as ``.run``) when
        the run failed or was cancelled, :class:`WaitTimeoutError` on timeout.
        """
        run = self.wait(timeout, poll_interval=poll_interval)
        result: OutT = calls.run_result(self._flow, run)
        return result

    def status(self) -> Run:
        """The run's row now (status, output, timestamps)."""
        return self._client.get_run_row(self.run_id)

    def get_run(self) -> RunDetails:
        """The run with every step state and task (one consistent snapshot)."""
        return self._client.get_run(self.run_id)

    def cancel(self) -> Run:
        """Cancel the run (``pgflow.cancel_run``); returns its row afterwards."""
        return self._client.cancel(self.run_id)

    def retry(self, from_steps: Sequence[str] | None = None) -> RunHandle[OutT]:
        """Retry the run in place (``pgflow.retry_run``): see :meth:`Client.retry`."""
        handle = self._client.retry(self.run_id, from_steps=from_steps)
        return RunHandle(self._client, handle.run_id, handle.flow_slug, self._flow)

    def attempts(self) -> tuple[TaskAttempt, ...]:
        """Every attempt of every task of the run (``pgflow.run_attempts``)."""
        return self._client.attempts(self.run_id)


class Client:
    """The calls on runs, over a URL, a connection pool or one connection.

    ``Client(url)`` (default ``$DATABASE_URL``) opens a pool of up to
    ``max_connections`` and closes it on :meth:`close`.  ``Client(pool)`` or
    ``Client(pool=pool)`` shares a :class:`psycopg_pool.ConnectionPool` whose
    connections are autocommit; ``Client(conn)`` uses one
    :class:`psycopg.Connection` (calls are serialised on it; on a connection
    that is not autocommit each call is its own transaction, or a savepoint
    inside the caller's open one).  A pool or connection passed in is not
    closed by the client.  Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        url: str | ConnectionPool[Any] | psycopg.Connection[Any] | None = None,
        *,
        pool: ConnectionPool[Any] | None = None,
        max_connections: int = 4,
        connect_timeout: float = 10.0,
        payloads: Payloads | None = None,
    ) -> None:
        # codecs: secrets sealed with PGFLOW_KEYS by default (see pgflow.payload)
        self.payloads = payloads if payloads is not None else Payloads.from_env()
        self._secret_inputs = calls.SecretInputs(self.payloads)
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()
        if isinstance(url, ConnectionPool):
            pool, url = url, None
        if isinstance(url, psycopg.Connection):
            self._conn = url
            self._pool: ConnectionPool[Any] | None = None
            self._owns_pool = False
            return
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
        if self._owns_pool and self._pool is not None:
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
            if self._conn is None:
                assert self._pool is not None
                with self._pool.connection() as conn:
                    yield conn
            else:
                with self._lock:
                    if self._conn.autocommit:
                        yield self._conn
                    else:
                        with self._conn.transaction():
                            yield self._conn
        except psycopg.Error as error:
            raise translate(error) from error

    def _one(self, call: Call[RowT], conn: psycopg.Connection[Any] | None = None) -> RowT | None:
        if conn is not None:
            with row_cursor(conn, call.row) as cur:
                row = cur.execute(call.sql, call.params).fetchone()
        else:
            with self._connection() as own, row_cursor(own, call.row) as cur:
                row = cur.execute(call.sql, call.params).fetchone()
        return None if row is None else calls.opened(self.payloads, row)

    def _all(self, call: Call[RowT]) -> list[RowT]:
        with self._connection() as conn:
            return self._fetch_all(conn, call)

    def _fetch_all(self, conn: psycopg.Connection[Any], call: Call[RowT]) -> list[RowT]:
        with row_cursor(conn, call.row) as cur:
            rows = cur.execute(call.sql, call.params).fetchall()
        return [calls.opened(self.payloads, row) for row in rows]

    def _secret_paths(
        self, flow: Flow[Any, Any] | str, conn: psycopg.Connection[Any] | None
    ) -> tuple[str, ...]:
        """The input paths to seal: the :class:`Flow`'s, or read once for a slug."""
        paths = self._secret_inputs.known(flow)
        if paths is None:
            lookup = self._secret_inputs.lookup(flow)
            paths = self._secret_inputs.remember(flow, self._one(lookup, conn))
        return paths

    # -- runs ----------------------------------------------------------------------

    @overload
    def start(
        self, flow: Startable[P, OutT], /, *args: P.args, **kwargs: P.kwargs
    ) -> RunHandle[OutT]: ...

    @overload
    def start(
        self,
        flow: str,
        input: object = None,
        **options: Unpack[StartOptions],
    ) -> RunHandle[Any]: ...

    def start(  # type: ignore[misc]  # signature 1 is (flow, input, /, **StartOptions)
        self,
        flow: Flow[Any, Any] | str,
        input: object = None,
        **options: Unpack[StartOptions],
    ) -> RunHandle[Any]:
        """Start a run of ``flow`` (a :class:`Flow` or its slug) with ``input``.

        ``input`` defaults to ``{}``; with a :class:`Flow` its type is the
        flow's run type (checked by mypy, and validated when it is a pydantic
        model: :class:`~pgflow.define.models.ModelValidationError`).
        ``run_id`` is an idempotency key: starting again with the same id
        returns the existing run (``RunIdConflictError`` if it belongs to
        another flow).  ``conn``: run ``pgflow.start_flow`` on this connection,
        inside its open transaction, and commit nothing (the run exists for
        others once the caller commits, and not at all if it rolls back).
        """
        conn = options.get("conn")
        if isinstance(conn, psycopg.AsyncConnection):
            raise TypeError("Client.start takes a psycopg.Connection; use AsyncClient for async")
        if conn is not None:
            try:
                paths = self._secret_paths(flow, conn)
                call = calls.start(flow, input, options, self.payloads, paths)
                run = self._one(call, conn)
            except psycopg.Error as error:
                raise translate(error) from error
        else:
            call = calls.start(flow, input, options, self.payloads, self._secret_paths(flow, None))
            run = self._one(call)
        assert run is not None
        log.debug("started run %s of %s", run.run_id, run.flow_slug)
        return RunHandle(self, run.run_id, run.flow_slug, flow if isinstance(flow, Flow) else None)

    def run(self, run_id: UUID | str) -> RunHandle[Any]:
        """A handle on an existing run (nothing is read until you call it)."""
        return RunHandle(self, as_uuid(run_id))

    def get_run_row(self, run_id: UUID | str) -> Run:
        """The row of ``pgflow.runs``; :class:`RunNotFoundError` if there is none.

        ``input`` or ``output`` is an :class:`~pgflow.jsonb.UndecodableJson`
        marker when Python cannot decode the stored value.
        """
        uid = as_uuid(run_id)
        return calls.found_run(self._one(calls.get_run(uid)), uid)

    def get_run(self, run_id: UUID | str) -> RunDetails:
        """The run, its step states (definition order) and tasks, from one snapshot.

        Never raises because of what the run holds: every ``input`` or
        ``output`` Python cannot decode is an
        :class:`~pgflow.jsonb.UndecodableJson` marker.  ``history`` holds
        every attempt of every task (``pgflow.run_attempts``), and ``read_at``
        the server's clock, against which :meth:`RunDetails.due_at` says when
        a delayed or retrying step's next task becomes claimable.
        """
        uid = as_uuid(run_id)
        with self._connection() as conn, conn.transaction():
            conn.execute(queries.READ_SNAPSHOT)
            run = calls.found_run(self._one(calls.get_run(uid), conn), uid)
            steps = self._fetch_all(conn, calls.step_states(uid))
            tasks = self._fetch_all(conn, calls.step_tasks(uid))
            history = self._fetch_all(conn, calls.run_attempts(uid))
            now_row = conn.execute(queries.SERVER_NOW).fetchone()
        return calls.run_details(
            run, steps, tasks, history, None if now_row is None else now_row[0]
        )

    def attempts(self, run_id: UUID | str) -> tuple[TaskAttempt, ...]:
        """Every attempt of every task of a run, oldest first per task.

        Outcomes: ``running``, ``completed``, ``failed``, ``lease_expired``,
        ``timed_out``, ``cancelled``, ``superseded`` (a completion a retry
        asked to redo).  :class:`RunNotFoundError` if there is no such run.
        """
        uid = as_uuid(run_id)
        with self._connection() as conn, conn.transaction():
            conn.execute(queries.READ_SNAPSHOT)
            calls.found_run(self._one(calls.get_run(uid), conn), uid)
            return tuple(self._fetch_all(conn, calls.run_attempts(uid)))

    def cancel(self, run_id: UUID | str) -> Run:
        """Cancel a run (``pgflow.cancel_run``): unfinished steps and tasks stop."""
        uid = as_uuid(run_id)
        return calls.found_run(self._one(calls.cancel(uid)), uid)

    def retry(self, run_id: UUID | str, from_steps: Sequence[str] | None = None) -> RunHandle[Any]:
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
        run = self._one(calls.retry(as_uuid(run_id), from_steps))
        assert run is not None
        log.debug("retried run %s (retry %d)", run.run_id, run.retry_count)
        return RunHandle(self, run.run_id, run.flow_slug)

    def list_runs(
        self,
        *,
        flow: Flow[Any, Any] | str | None = None,
        status: RunStatus | Sequence[RunStatus] | None = None,
        since: datetime | timedelta | None = None,
        limit: int = 50,
    ) -> list[RunSummary]:
        """Runs, newest first: of one flow, in some statuses, started since a time.

        ``since`` is a time, or a span measured back from the server's clock
        (``timedelta(hours=1)``: the last hour).  At most ``limit`` rows.
        """
        return self._all(calls.list_runs(flow, status, since, limit))

    # -- flows and workers -------------------------------------------------------------

    def flow_info(self, flow: Flow[Any, Any] | str) -> FlowInfo:
        """A flow's registration: options, ``retired_at``, runs in flight.

        :class:`~pgflow.errors.FlowNotFoundError` if it is not registered.
        """
        return calls.flow_found(self._one(calls.flow_call(queries.GET_FLOW, flow)), flow)

    def retire(self, flow: Flow[Any, Any] | str) -> FlowInfo:
        """Retire a flow (``pgflow.retire_flow``): no new runs, runs in flight finish.

        ``start`` then raises :class:`~pgflow.errors.FlowRetiredError`; retrying
        its runs still works.  Retiring a retired flow changes nothing.
        Needs ``pgflow_operator`` (or the owner).
        """
        return self._flow_call(queries.RETIRE_FLOW, flow)

    def unretire(self, flow: Flow[Any, Any] | str) -> FlowInfo:
        """Take a retired flow back into service (``pgflow.unretire_flow``)."""
        return self._flow_call(queries.UNRETIRE_FLOW, flow)

    def step_limits(self, flow: Flow[Any, Any] | str) -> list[StepLimitsInfo]:
        """The flow control of every step of ``flow`` (limits None: none), in step order."""
        return self._all(calls.step_limits(flow))

    def set_step_limits(
        self,
        flow: Flow[Any, Any] | str,
        step_slug: str,
        *,
        concurrency: int | None = None,
        concurrency_key: Sequence[str] | None = None,
        rate_limit: int | None = None,
        rate_period: int | None = None,
    ) -> StepLimitsInfo:
        """Set a step's whole flow control on a live flow (``pgflow.set_step_limits``).

        A limit left None is no limit, so a call without limits clears them.
        Not part of the flow's shape: no new slug needed.  Needs
        ``pgflow_operator`` (or the owner).
        """
        info = self._one(
            calls.set_step_limits(
                flow,
                step_slug,
                concurrency=concurrency,
                concurrency_key=concurrency_key,
                rate_limit=rate_limit,
                rate_period=rate_period,
            )
        )
        assert info is not None
        return info

    def _flow_call(self, query: LiteralString, flow: Flow[Any, Any] | str) -> FlowInfo:
        info = self._one(calls.flow_call(query, flow))
        assert info is not None
        return info

    def workers(
        self, *, include_stopped: bool = True, silent_after: timedelta = DEFAULT_SILENT_AFTER
    ) -> list[WorkerInfo]:
        """Registered workers, running ones first, with the steps they serve.

        ``state`` is ``live``, ``silent`` (running, but no heartbeat for
        ``silent_after``) or ``stopped``.
        """
        return self._all(calls.workers(include_stopped, silent_after))

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
        calls.check_prune(batch_size, max_runs)
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
        uid = as_uuid(run_id)
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
        state = WaitState(run_ids, timeout, poll_interval, on_finished)
        # A lost connection loses the notifications sent meanwhile: each retry
        # reconnects, listens again and re-reads the statuses.
        retry("wait", lambda: self._wait_on_connection(state), log=log, deadline=state.deadline)
        return state.results(self._all(calls.get_runs(state.ids)))

    def _wait_on_connection(self, state: WaitState) -> None:
        with self._connection() as conn:
            listening = conn.info.transaction_status == pq.TransactionStatus.IDLE
            if listening:  # inside a transaction, notifications wait for its end: poll
                conn.execute(queries.LISTEN_RUNS)
            try:
                # Listening first, then reading: a run finishing in between
                # shows up either in this read or as a notification.
                state.take_statuses(conn.execute(*state.statuses()).fetchall())
                while state.pending:
                    slice_ = state.slice()
                    hinted = _wait_for_hint(conn, state, slice_) if listening else False
                    if not listening:
                        threading.Event().wait(slice_)
                    # A hint is only a reason to look: the table decides. The
                    # fallback poll runs on time, however busy the channel is.
                    if hinted or state.poll_due():
                        state.take_statuses(conn.execute(*state.statuses()).fetchall())
            finally:
                if listening and not conn.closed and not conn.broken:
                    conn.execute(queries.UNLISTEN_ALL)


def _wait_for_hint(conn: psycopg.Connection[Any], state: WaitState, timeout: float) -> bool:
    """Wait up to ``timeout`` s for a ``pgflow_runs`` notification that may concern the wait.

    True at the first notification naming a pending run, or one whose payload
    cannot be read; other runs' notifications are skipped.  What the payload
    says about the status is ignored: anyone can send one.
    """
    notifications = conn.notifies(timeout=timeout)
    try:
        for notify in notifications:
            if state.concerns(notify.payload):
                # Leaving the generator drops the rest of its packet: fine,
                # since the caller now reads every pending run's status.
                return True
    finally:
        notifications.close()
    return False
