"""The worker: serves one or more flows, from claim to report, until stopped.

Threads and what they hold:

* the caller's thread runs the claim loop (``claim_tasks`` for the free slots);
* ``pgflow-listener`` holds one pooled connection in ``LISTEN pgflow_tasks``;
* ``pgflow-handler-N`` threads run sync handlers, ``pgflow-async`` runs one
  event loop for async handlers;
* ``pgflow-reporter`` sends ``complete_tasks`` / ``fail_task``;
* ``pgflow-leases`` extends the leases of running handlers
  (``extend_leases``) and tells handlers whose attempt ended to stop;
* ``pgflow-heartbeat`` calls ``heartbeat_worker`` and ``stale_flows``.

At start the worker checks each flow's deployed shape against the code
(``verify_flow``, with the whole shape so a mismatch names what differs), then
declares the steps it has handlers for (``serve_steps``): it claims only
those, and only of the flow registration it verified.

Database calls are single autocommit statements on pooled connections: no
transaction is open while a handler runs.  Stopping (``stop()``, SIGTERM or
SIGINT) stops claiming, waits up to ``grace_period`` for running handlers
(extending their leases meanwhile), reports their results, calls
``stop_worker`` and returns.  Handlers still running then are left to lease
expiry: their tasks become claimable again when the step's ``timeout`` passes.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.define.dsl import Flow, StepDefinition
from pgflow.errors import DatabaseUnavailableError, PgflowError, translate
from pgflow.payload.codec import Payloads
from pgflow.run.retry import Abandoned, Backoff, retry
from pgflow.run.rows import ClaimedTask
from pgflow.run.worker.claimer import ClaimLoop
from pgflow.run.worker.context import StopReason, TaskContext
from pgflow.run.worker.executor import HandlerExecutor, Outcome
from pgflow.run.worker.heartbeat import (
    Heartbeat,
    ServedFlow,
    register_worker,
    serve_steps,
    stop_worker,
)
from pgflow.run.worker.leases import LeaseKeeper
from pgflow.run.worker.notifications import TaskListener
from pgflow.run.worker.options import WorkerOptions
from pgflow.run.worker.reporter import Reporter
from pgflow.run.worker.signals import SignalBridge

__all__ = ["Worker", "WorkerReport"]

log = logging.getLogger("pgflow.worker")

_CONNECT_TIMEOUT = 30.0
"""Seconds a starting worker keeps trying to reach the database before giving up."""


@dataclass(frozen=True, slots=True)
class WorkerReport:
    """What a worker did, returned by :meth:`Worker.run` when it stops."""

    worker_id: uuid.UUID
    claimed: int
    succeeded: int
    failed: int
    abandoned: int
    """Handlers still running when the grace period ended (left to lease expiry)."""
    unreported: int
    """Results the worker could not report before giving up (left to lease expiry)."""
    stopped: int = 0
    """Handlers told to stop because their attempt ended in the database (run
    cancelled or failed, execution timeout, lease lost); not failures."""

    @property
    def clean(self) -> bool:
        """True when everything the worker claimed was finished and reported."""
        return self.abandoned == 0 and self.unreported == 0


class Worker:
    """Runs the handlers of ``flows`` for tasks claimed from the database.

    ``conninfo`` is a libpq URL or DSN (default: ``$DATABASE_URL``).
    ``run()`` blocks until ``stop()`` is called (from another thread or a
    signal handler) and returns a :class:`WorkerReport`.  To embed a worker,
    run ``run()`` on a thread of your own and call ``stop()`` to end it.  A
    worker runs once: create a new one to start again.
    """

    def __init__(
        self,
        flows: Sequence[Flow[Any]],
        conninfo: str | None = None,
        *,
        options: WorkerOptions | None = None,
        worker_id: uuid.UUID | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        if not flows:
            raise ValueError("a worker needs at least one flow")
        slugs = [flow.slug for flow in flows]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"flows given twice: {', '.join(duplicates)}")
        url = conninfo or os.environ.get("DATABASE_URL")
        if not url:
            raise DatabaseUnavailableError("no database URL: pass one or set DATABASE_URL")
        self._flows = tuple(flows)
        self._conninfo = url
        self.options = options or WorkerOptions()
        self.worker_id = worker_id or uuid.uuid4()
        # codecs: secrets sealed with PGFLOW_KEYS by default (see pgflow.payload)
        self.payloads = payloads if payloads is not None else Payloads.from_env()
        self._steps: dict[tuple[str, str], StepDefinition] = {
            (flow.slug, step.slug): step for flow in flows for step in flow.steps
        }
        self._served_slugs = tuple(
            flow.slug for flow in flows if any(step.handler is not None for step in flow.steps)
        )
        if not self._served_slugs:
            raise ValueError(
                "no step of these flows has a handler: this worker would have nothing to run"
            )
        self._served: tuple[ServedFlow, ...] = ()
        self._flow_timeouts = {flow.slug: flow.timeout for flow in flows}
        self._stopped_handlers = 0
        self._stopping = threading.Event()
        self._force = threading.Event()
        self._started = threading.Event()
        self._stop_requested_at: float | None = None
        self._succeeded = 0
        self._failed = 0
        self._count_lock = threading.Lock()
        self._claim_loop: ClaimLoop | None = None

    @property
    def flow_slugs(self) -> tuple[str, ...]:
        return tuple(flow.slug for flow in self._flows)

    # -- control -------------------------------------------------------------

    def stop(self, *, force: bool = False) -> None:
        """Stop claiming and finish; ``force`` skips the grace period.

        Safe to call from any thread and from a signal handler.
        """
        if self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
        self._stopping.set()
        if force:
            self._force.set()
        if self._claim_loop is not None:
            self._claim_loop.wake()

    def wait_started(self, timeout: float | None = None) -> bool:
        """True once the worker is registered and listening (for embedding and tests)."""
        return self._started.wait(timeout)

    # -- running -------------------------------------------------------------

    def run(self, *, install_signal_handlers: bool = True) -> WorkerReport:
        """Serve until stopped.

        With ``install_signal_handlers`` (and on the main thread), SIGTERM and
        SIGINT stop gracefully and a second signal stops at once.
        """
        bridge = SignalBridge(self._on_signal)
        installed = bridge.install() if install_signal_handlers else False
        try:
            self._check_database()
            pool: ConnectionPool[Any] = ConnectionPool(
                self._conninfo,
                min_size=2,
                max_size=5,
                kwargs={"autocommit": True},
                # No check on checkout: every call is retried on a broken
                # connection anyway (completions and fails are idempotent).
                timeout=10.0,
                name=f"pgflow-worker-{self.worker_id}",
                open=True,
            )
            try:
                return self._serve(pool)
            finally:
                pool.close(timeout=5.0)
        finally:
            if installed:
                bridge.uninstall()

    def _on_signal(self, signum: signal.Signals) -> None:
        if self._stopping.is_set():
            log.warning(
                "%s again: stopping now, leaving running tasks to lease expiry", signum.name
            )
            self.stop(force=True)
        else:
            log.info(
                "%s: stopping; waiting up to %.0f s for running handlers (%s again to force)",
                signum.name,
                self.options.grace_period,
                signum.name,
            )
            self.stop()

    def _check_database(self) -> None:
        """Reach the database and check each flow's deployed shape against the code."""

        def check() -> None:
            with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as conn:
                if self.options.verify_flows:
                    self._verify_flows(conn)
                self._served = self._served_flows(conn)

        try:
            retry(
                "connecting to the database",
                check,
                log=log,
                give_up=self._stopping,
                deadline=time.monotonic() + _CONNECT_TIMEOUT,
                backoff=Backoff(initial=0.2, maximum=5.0),
            )
        except Abandoned as error:
            raise DatabaseUnavailableError("worker stopped before it started") from error
        except psycopg.OperationalError as error:
            raise DatabaseUnavailableError(
                f"worker could not reach the database: {str(error).strip()}"
            ) from error
        except psycopg.Error as error:
            raise translate(error) from error

    def _served_flows(self, conn: psycopg.Connection[Any]) -> tuple[ServedFlow, ...]:
        """What to declare with ``serve_steps``: per flow, the steps with handlers.

        The hash is the code's; with ``verify_flows`` off it is the deployed
        one (read now), so the worker still claims only its handlers' steps
        and nothing of a later registration of the flow.
        """
        served = []
        for flow in self._flows:
            if flow.slug not in self._served_slugs:
                continue
            digest = flow.shape().hash()
            if not self.options.verify_flows:
                row = conn.execute(queries.READ_FLOW_SHAPE, {"flow_slug": flow.slug}).fetchone()
                if row is not None and row[1] is not None:
                    digest = str(row[1])
            steps = tuple(step.slug for step in flow.steps if step.handler is not None)
            served.append(ServedFlow(flow.slug, digest, steps))
        return tuple(served)

    def _verify_flows(self, conn: psycopg.Connection[Any]) -> None:
        for flow in self._flows:
            shape = flow.shape()
            params = {
                "flow_slug": shape.flow_slug,
                "shape_hash": shape.hash(),
                "step_slugs": [step.step_slug for step in shape.steps],
                "shape": shape.text(),
            }
            try:
                conn.execute(queries.VERIFY_FLOW, params)
            except psycopg.errors.InsufficientPrivilege:
                log.info("cannot call verify_flow with this role; skipping the shape check")
                return

    def _serve(self, pool: ConnectionPool[Any]) -> WorkerReport:
        options = self.options
        claim_loop = ClaimLoop(
            pool,
            worker_id=self.worker_id,
            flow_slugs=self._served_slugs,
            batch_size=options.batch_size,
            poll_interval=options.poll_interval,
            free_slots=lambda: executor.free_slots,
            submit=lambda task: executor.submit(task, self._step_of(task)),
            stopping=self._stopping,
        )
        # The database notifies only tasks claimable now: a retry after backoff
        # or a step with delay_seconds becomes visible silently, so the claim
        # loop is told when to look again.
        has_delays = any(step.delay_seconds > 0 for step in self._steps.values())
        reporter = Reporter(
            pool,
            flush_delay=options.flush_delay,
            max_batch=options.max_batch_report,
            max_error_length=options.max_error_length,
            on_retry_scheduled=claim_loop.due_in,
            on_completed=claim_loop.recheck if has_delays else lambda: None,
            on_settled=lambda outcome: leases.release(outcome.task),
        )
        leases = LeaseKeeper(
            pool,
            self.worker_id,
            heartbeat_interval=options.heartbeat_interval,
            execution_timeout=self._execution_timeout_of,
            lease_seconds=self._timeout_of,
            on_stopped=self._on_stopped,
        )

        def on_started(task: ClaimedTask, context: TaskContext) -> None:
            leases.hold(task, context)

        def on_done(outcome: Outcome) -> None:
            leases.finished(outcome.task)
            if outcome.stop_reason is not None and not (
                outcome.stop_reason == "lost" and outcome.ok
            ):
                # The attempt already ended in the database (cancelled, timed
                # out and failed there, or taken over): nothing to report.
                # A lost attempt's success is still sent: the stale-result
                # rule keeps it if the task is unfinished.
                with self._count_lock:
                    self._stopped_handlers += 1
                log.info(
                    "handler of %s attempt %d ended after it was told to stop (%s)"
                    " in %.0f ms; nothing reported",
                    outcome.task.key,
                    outcome.task.attempt,
                    outcome.stop_reason,
                    outcome.seconds * 1000,
                )
                leases.release(outcome.task)
                return
            with self._count_lock:
                if outcome.ok:
                    self._succeeded += 1
                else:
                    self._failed += 1
            reporter.put(outcome)

        executor = HandlerExecutor(
            worker_id=self.worker_id,
            concurrency=options.concurrency,
            max_error_length=options.max_error_length,
            max_output_bytes=options.max_output_bytes,
            payloads=self.payloads,
            on_done=on_done,
            on_slot_free=claim_loop.slot_freed,
            on_started=on_started,
        )
        listener = TaskListener(
            pool, self._served_slugs, claim_loop.tasks_available, on_run_ended=leases.run_ended
        )
        heartbeat = Heartbeat(
            pool,
            self.worker_id,
            self.flow_slugs,
            options.heartbeat_interval,
            served=self._served,
        )
        self._claim_loop = claim_loop

        try:
            register_worker(pool, self.worker_id, self.flow_slugs, give_up=self._stopping)
            self._serve_steps(pool)
        except Abandoned:
            return self._report(claim_loop, 0, 0)
        except psycopg.Error as error:
            raise translate(error) from error
        reporter.start()
        leases.start()
        listener.start()
        heartbeat.start()
        listener.wait_listening(timeout=5.0)
        log.info(
            "worker %s serving %s (concurrency %d, batch %d)",
            self.worker_id,
            ", ".join(self.flow_slugs),
            options.concurrency,
            options.batch_size,
        )
        self._started.set()
        crashed = False
        try:
            claim_loop.run()
        except Exception:
            crashed = True
            log.exception("claim loop crashed; stopping")
            self.stop()
        abandoned = self._finish_handlers(executor)
        reporter_deadline = max(self._grace_deadline(), time.monotonic()) + 5.0
        reporter.close(reporter_deadline)
        leases.stop()
        listener.stop()
        heartbeat.stop()
        try:
            stop_worker(pool, self.worker_id, deadline=time.monotonic() + 3.0)
        except Exception as error:
            log.warning("stop_worker failed: %s", error)
        executor.shutdown(wait=abandoned == 0)
        report = self._report(claim_loop, abandoned, reporter.lost)
        log.info(
            "worker %s stopped: %d claimed, %d succeeded, %d failed, %d abandoned",
            self.worker_id,
            report.claimed,
            report.succeeded,
            report.failed,
            report.abandoned,
        )
        if crashed:
            raise PgflowError("the worker's claim loop crashed (see the log)")
        return report

    def _serve_steps(self, pool: ConnectionPool[Any]) -> None:
        try:
            serve_steps(pool, self.worker_id, self._served, give_up=self._stopping)
        except psycopg.errors.InsufficientPrivilege:
            log.warning(
                "cannot call serve_steps with this role: this worker claims every step"
                " of its flows, handler-less ones included"
            )
            return
        for flow in self._served:
            log.info("serving %s: %s", flow.flow_slug, ", ".join(flow.step_slugs))

    def _timeout_of(self, task: ClaimedTask) -> int | None:
        """The step's lease in seconds (its timeout, else the flow's), per the code."""
        step = self._step_of(task)
        if step is None:
            return None
        if step.timeout is not None:
            return step.timeout
        return self._flow_timeouts.get(task.flow_slug)

    def _execution_timeout_of(self, task: ClaimedTask) -> int | None:
        step = self._step_of(task)
        return None if step is None else step.execution_timeout

    def _on_stopped(self, task: ClaimedTask, reason: StopReason) -> None:
        what = {
            "cancelled": "its run was cancelled or failed",
            "timed_out": "the attempt ran past the step's execution_timeout and was failed",
            "lost": "the task moved on without this attempt (lease lost)",
        }[reason]
        log.warning(
            "telling the handler of %s attempt %d to stop: %s", task.key, task.attempt, what
        )

    def _step_of(self, task: ClaimedTask) -> StepDefinition | None:
        return self._steps.get((task.flow_slug, task.step_slug))

    def _grace_deadline(self) -> float:
        requested = self._stop_requested_at or time.monotonic()
        return requested + self.options.grace_period

    def _finish_handlers(self, executor: HandlerExecutor) -> int:
        """Wait for running handlers until the grace period ends; return how many remain."""
        running = executor.in_flight
        if running:
            log.info("waiting for %d running handlers", running)
        deadline = self._grace_deadline()
        while not self._force.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if executor.wait_idle(min(remaining, 0.1)):
                return 0
        left = executor.in_flight
        if left:
            log.warning(
                "%d handlers still running after the grace period; "
                "their tasks will be retried when their leases expire",
                left,
            )
        return left

    def _report(self, claim_loop: ClaimLoop, abandoned: int, unreported: int) -> WorkerReport:
        with self._count_lock:
            return WorkerReport(
                worker_id=self.worker_id,
                claimed=claim_loop.claimed,
                succeeded=self._succeeded,
                failed=self._failed,
                abandoned=abandoned,
                unreported=unreported,
                stopped=self._stopped_handlers,
            )
