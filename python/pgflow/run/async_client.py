"""The client for asyncio code: :class:`AsyncClient`, with the calls of the sync ``Client``.

::

    from pgflow import AsyncClient

    async with AsyncClient("postgresql://localhost/app") as client:
        run = await client.start(AnalyzeWebsite, {"url": "https://example.com"})
        record = await run.result(timeout=30)

It takes a URL, a :class:`psycopg_pool.AsyncConnectionPool` (autocommit
connections) or one :class:`psycopg.AsyncConnection`, and
``start(..., conn=c)`` starts a run inside the caller's open transaction, as
the sync client does.  The statements, parameters, argument checks and row
handling are the sync client's (:mod:`pgflow.run.calls`); only the I/O is
asynchronous: ``wait`` listens with ``AsyncConnection.notifies`` and, after a
lost connection, reconnects, listens again and re-reads the statuses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, LiteralString, ParamSpec, TypeVar, Unpack, overload
from uuid import UUID

import psycopg
from psycopg import pq
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from typing_extensions import TypeVar as DefaultTypeVar

from pgflow import queries
from pgflow.define.dsl import Flow
from pgflow.errors import DatabaseUnavailableError, translate
from pgflow.payload.codec import Payloads
from pgflow.run import calls
from pgflow.run.calls import (
    DEFAULT_PRUNE_BATCH,
    DEFAULT_SILENT_AFTER,
    Call,
    Startable,
    StartOptions,
    WaitState,
    as_uuid,
)
from pgflow.run.retry import Backoff, is_transient
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
    async_row_cursor,
)

__all__ = ["AsyncClient", "AsyncRunHandle"]

log = logging.getLogger("pgflow.client")

P = ParamSpec("P")
OutT = DefaultTypeVar("OutT", default=Any)
RowT = TypeVar("RowT")


class AsyncRunHandle(calls.HandleBase["AsyncClient"], Generic[OutT]):
    """One run, as returned by :meth:`AsyncClient.start`; the methods of ``RunHandle``, awaited."""

    __slots__ = ()

    async def wait(
        self, timeout: float | None = None, *, poll_interval: float | None = None
    ) -> Run:
        """Wait until the run finishes; returns its final row (failed and cancelled too)."""
        return await self._client.wait(self.run_id, timeout, poll_interval=poll_interval)

    async def result(
        self, timeout: float | None = None, *, poll_interval: float | None = None
    ) -> OutT:
        """Wait; return the output typed as the flow's (``RunFailedError`` if not completed)."""
        run = await self.wait(timeout, poll_interval=poll_interval)
        result: OutT = calls.run_result(self._flow, run)
        return result

    async def status(self) -> Run:
        return await self._client.get_run_row(self.run_id)

    async def get_run(self) -> RunDetails:
        return await self._client.get_run(self.run_id)

    async def cancel(self) -> Run:
        return await self._client.cancel(self.run_id)

    async def retry(self, from_steps: Sequence[str] | None = None) -> AsyncRunHandle[OutT]:
        handle = await self._client.retry(self.run_id, from_steps=from_steps)
        return AsyncRunHandle(self._client, handle.run_id, handle.flow_slug, self._flow)

    async def attempts(self) -> tuple[TaskAttempt, ...]:
        return await self._client.attempts(self.run_id)


class AsyncClient:
    """:class:`~pgflow.run.client.Client` for asyncio: a URL, an async pool or an async connection.

    ``AsyncClient(url)`` opens its pool on first use (or on ``async with``)
    and closes it in :meth:`close`; a pool or connection passed in is left
    open.  Calls on one connection are serialised with a lock.
    """

    def __init__(
        self,
        url: str | AsyncConnectionPool[Any] | psycopg.AsyncConnection[Any] | None = None,
        *,
        pool: AsyncConnectionPool[Any] | None = None,
        max_connections: int = 4,
        connect_timeout: float = 10.0,
        payloads: Payloads | None = None,
    ) -> None:
        # codecs: secrets sealed with PGFLOW_KEYS by default (see pgflow.payload)
        self.payloads = payloads if payloads is not None else Payloads.from_env()
        self._secret_inputs = calls.SecretInputs(self.payloads)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()
        self._connect_timeout = connect_timeout
        self._opened = False
        if isinstance(url, AsyncConnectionPool):
            pool, url = url, None
        self._pool: AsyncConnectionPool[Any] | None = pool
        self._owns_pool = False
        if isinstance(url, psycopg.AsyncConnection):
            self._conn = url
            return
        if pool is not None:
            return
        conninfo = url or os.environ.get("DATABASE_URL")
        if not conninfo:
            raise DatabaseUnavailableError("no database URL: pass one or set DATABASE_URL")
        self._conninfo = conninfo
        self._pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            name="pgflow-async-client",
            open=False,
        )
        self._owns_pool = True

    async def open(self) -> AsyncClient:
        """Open the client's own pool (done by ``async with`` or the first call)."""
        if self._owns_pool and not self._opened and self._pool is not None:
            try:
                await self._pool.open(wait=True, timeout=self._connect_timeout)
            except PoolTimeout:
                await self._pool.close(timeout=0)
                raise await self._unreachable() from None
            self._opened = True
        return self

    async def _unreachable(self) -> DatabaseUnavailableError:
        timeout = self._connect_timeout
        try:
            conn = await psycopg.AsyncConnection.connect(
                self._conninfo, connect_timeout=max(1, int(timeout))
            )
            await conn.close()
        except psycopg.Error as error:
            return DatabaseUnavailableError(f"cannot connect to the database: {str(error).strip()}")
        return DatabaseUnavailableError(f"no database connection within {timeout:g} s")

    async def close(self) -> None:
        if self._owns_pool and self._pool is not None:
            await self._pool.close()

    async def __aenter__(self) -> AsyncClient:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        try:
            if self._conn is None:
                await self.open()
                assert self._pool is not None
                async with self._pool.connection() as conn:
                    yield conn
            else:
                async with self._lock:
                    if self._conn.autocommit:
                        yield self._conn
                    else:
                        async with self._conn.transaction():
                            yield self._conn
        except psycopg.Error as error:
            raise translate(error) from error

    async def _one(
        self, call: Call[RowT], conn: psycopg.AsyncConnection[Any] | None = None
    ) -> RowT | None:
        if conn is not None:
            async with async_row_cursor(conn, call.row) as cur:
                await cur.execute(call.sql, call.params)
                row = await cur.fetchone()
            return None if row is None else calls.opened(self.payloads, row)
        async with self._connection() as own:
            return await self._one(call, own)

    async def _all(self, call: Call[RowT]) -> list[RowT]:
        async with self._connection() as conn:
            return await self._fetch_all(conn, call)

    async def _fetch_all(self, conn: psycopg.AsyncConnection[Any], call: Call[RowT]) -> list[RowT]:
        async with async_row_cursor(conn, call.row) as cur:
            await cur.execute(call.sql, call.params)
            rows = await cur.fetchall()
        return [calls.opened(self.payloads, row) for row in rows]

    async def _secret_paths(
        self, flow: Flow[Any, Any] | str, conn: psycopg.AsyncConnection[Any] | None
    ) -> tuple[str, ...]:
        """The input paths to seal: the :class:`Flow`'s, or read once for a slug."""
        paths = self._secret_inputs.known(flow)
        if paths is None:
            lookup = self._secret_inputs.lookup(flow)
            row = await self._one(lookup, conn)
            paths = self._secret_inputs.remember(flow, row)
        return paths

    # -- runs ----------------------------------------------------------------------

    @overload
    async def start(
        self, flow: Startable[P, OutT], /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncRunHandle[OutT]: ...

    @overload
    async def start(
        self,
        flow: str,
        input: object = None,
        **options: Unpack[StartOptions],
    ) -> AsyncRunHandle[Any]: ...

    async def start(  # type: ignore[misc]  # signature 1 is (flow, input, /, **StartOptions)
        self,
        flow: Flow[Any, Any] | str,
        input: object = None,
        **options: Unpack[StartOptions],
    ) -> AsyncRunHandle[Any]:
        """Start a run; see :meth:`Client.start <pgflow.run.client.Client.start>` (``conn`` too)."""
        conn = options.get("conn")
        if isinstance(conn, psycopg.Connection):
            raise TypeError("AsyncClient.start takes a psycopg.AsyncConnection, not a Connection")
        if conn is not None:
            try:
                paths = await self._secret_paths(flow, conn)
                call = calls.start(flow, input, options, self.payloads, paths)
                run = await self._one(call, conn)
            except psycopg.Error as error:
                raise translate(error) from error
        else:
            paths = await self._secret_paths(flow, None)
            run = await self._one(calls.start(flow, input, options, self.payloads, paths))
        assert run is not None
        log.debug("started run %s of %s", run.run_id, run.flow_slug)
        return AsyncRunHandle(
            self, run.run_id, run.flow_slug, flow if isinstance(flow, Flow) else None
        )

    def run(self, run_id: UUID | str) -> AsyncRunHandle[Any]:
        """A handle on an existing run (nothing is read until you call it)."""
        return AsyncRunHandle(self, as_uuid(run_id))

    async def get_run_row(self, run_id: UUID | str) -> Run:
        uid = as_uuid(run_id)
        run = await self._one(calls.get_run(uid))
        return calls.found_run(run, uid)

    async def get_run(self, run_id: UUID | str) -> RunDetails:
        """The run, its step states, tasks and attempts, from one snapshot."""
        uid = as_uuid(run_id)
        async with self._connection() as conn, conn.transaction():
            await conn.execute(queries.READ_SNAPSHOT)
            row = await self._one(calls.get_run(uid), conn)
            run = calls.found_run(row, uid)
            steps = await self._fetch_all(conn, calls.step_states(uid))
            tasks = await self._fetch_all(conn, calls.step_tasks(uid))
            history = await self._fetch_all(conn, calls.run_attempts(uid))
            now_row = await (await conn.execute(queries.SERVER_NOW)).fetchone()
        now = None if now_row is None else now_row[0]
        return calls.run_details(run, steps, tasks, history, now)

    async def attempts(self, run_id: UUID | str) -> tuple[TaskAttempt, ...]:
        uid = as_uuid(run_id)
        async with self._connection() as conn, conn.transaction():
            await conn.execute(queries.READ_SNAPSHOT)
            row = await self._one(calls.get_run(uid), conn)
            calls.found_run(row, uid)
            return tuple(await self._fetch_all(conn, calls.run_attempts(uid)))

    async def cancel(self, run_id: UUID | str) -> Run:
        uid = as_uuid(run_id)
        run = await self._one(calls.cancel(uid))
        return calls.found_run(run, uid)

    async def retry(
        self, run_id: UUID | str, from_steps: Sequence[str] | None = None
    ) -> AsyncRunHandle[Any]:
        run = await self._one(calls.retry(as_uuid(run_id), from_steps))
        assert run is not None
        return AsyncRunHandle(self, run.run_id, run.flow_slug)

    async def list_runs(
        self,
        *,
        flow: Flow[Any, Any] | str | None = None,
        status: RunStatus | Sequence[RunStatus] | None = None,
        since: datetime | timedelta | None = None,
        limit: int = 50,
    ) -> list[RunSummary]:
        return await self._all(calls.list_runs(flow, status, since, limit))

    # -- flows and workers -------------------------------------------------------------

    async def flow_info(self, flow: Flow[Any, Any] | str) -> FlowInfo:
        info = await self._one(calls.flow_call(queries.GET_FLOW, flow))
        return calls.flow_found(info, flow)

    async def retire(self, flow: Flow[Any, Any] | str) -> FlowInfo:
        return await self._flow_call(queries.RETIRE_FLOW, flow)

    async def unretire(self, flow: Flow[Any, Any] | str) -> FlowInfo:
        return await self._flow_call(queries.UNRETIRE_FLOW, flow)

    async def step_limits(self, flow: Flow[Any, Any] | str) -> list[StepLimitsInfo]:
        """The flow control of every step of ``flow`` (limits None: none), in step order."""
        return await self._all(calls.step_limits(flow))

    async def set_step_limits(
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
        info = await self._one(
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

    async def _flow_call(self, query: LiteralString, flow: Flow[Any, Any] | str) -> FlowInfo:
        info = await self._one(calls.flow_call(query, flow))
        assert info is not None
        return info

    async def workers(
        self, *, include_stopped: bool = True, silent_after: timedelta = DEFAULT_SILENT_AFTER
    ) -> list[WorkerInfo]:
        return await self._all(calls.workers(include_stopped, silent_after))

    async def prune(
        self,
        older_than: timedelta,
        *,
        max_runs: int | None = None,
        batch_size: int = DEFAULT_PRUNE_BATCH,
        workers: bool = True,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> PruneResult:
        calls.check_prune(batch_size, max_runs)
        total = batches = 0
        async with self._connection() as conn:
            while max_runs is None or total < max_runs:
                size = batch_size if max_runs is None else min(batch_size, max_runs - total)
                cur = await conn.execute(
                    queries.PRUNE_RUNS, {"older_than": older_than, "max_runs": size}
                )
                row = await cur.fetchone()
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
                cur = await conn.execute(queries.PRUNE_WORKERS, {"older_than": older_than})
                row = await cur.fetchone()
                pruned_workers = int(row[0]) if row is not None else 0
        return PruneResult(runs=total, workers=pruned_workers, batches=batches)

    # -- waiting ---------------------------------------------------------------------

    async def wait(
        self,
        run_id: UUID | str,
        timeout: float | None = None,
        *,
        poll_interval: float | None = None,
    ) -> Run:
        """Wait until the run is completed, failed or cancelled; return its row."""
        uid = as_uuid(run_id)
        return (await self.wait_all([uid], timeout, poll_interval=poll_interval))[uid]

    async def wait_all(
        self,
        run_ids: Collection[UUID | str],
        timeout: float | None = None,
        *,
        poll_interval: float | None = None,
        on_finished: Callable[[UUID, RunStatus], None] | None = None,
    ) -> dict[UUID, Run]:
        """Wait for several runs at once; returns ``{run_id: final row}``."""
        state = WaitState(run_ids, timeout, poll_interval, on_finished)
        backoff = Backoff()
        while True:
            try:
                await self._wait_on_connection(state)
                break
            except Exception as error:
                # A lost connection loses the notifications sent meanwhile:
                # reconnect, listen again and re-read the statuses.
                if not is_transient(error):
                    raise
                pause = backoff.delay()
                if state.deadline is not None and time.monotonic() + pause > state.deadline:
                    raise
                log.warning("wait failed (%s); retrying in %.2f s", type(error).__name__, pause)
                await asyncio.sleep(pause)
        return state.results(await self._all(calls.get_runs(state.ids)))

    async def _wait_on_connection(self, state: WaitState) -> None:
        async with self._connection() as conn:
            listening = conn.info.transaction_status == pq.TransactionStatus.IDLE
            if listening:
                await conn.execute(queries.LISTEN_RUNS)
            try:
                await self._read_statuses(conn, state)
                while state.pending:
                    slice_ = state.slice()
                    hinted = False
                    if listening:
                        hinted = await _wait_for_hint(conn, state, slice_)
                    else:
                        await asyncio.sleep(slice_)
                    if hinted or state.poll_due():
                        await self._read_statuses(conn, state)
            finally:
                if listening and not conn.closed and not conn.broken:
                    await conn.execute(queries.UNLISTEN_ALL)

    @staticmethod
    async def _read_statuses(conn: psycopg.AsyncConnection[Any], state: WaitState) -> None:
        cur = await conn.execute(*state.statuses())
        state.take_statuses(await cur.fetchall())


async def _wait_for_hint(
    conn: psycopg.AsyncConnection[Any], state: WaitState, timeout: float
) -> bool:
    """True at the first notification that may concern the wait (see the sync client)."""
    notifications = conn.notifies(timeout=timeout)
    try:
        async for notify in notifications:
            if state.concerns(notify.payload):
                return True
    finally:
        await notifications.aclose()
    return False
