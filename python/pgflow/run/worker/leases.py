"""Keeps the leases of tasks whose handlers are running, and tells handlers to stop.

A claim leases a task for its step's ``timeout``.  While the handler runs,
the ``pgflow-leases`` thread calls ``pgflow.extend_leases`` for every task
this worker holds, in one call, each time one of them is due: a task is due
``min(timeout / 3, heartbeat_interval)`` seconds after its last claim or
extension (the step's timeout from the verified definition; for a step the
worker does not know, from the lease the database granted), and
once more when its attempt reaches the step's ``execution_timeout``, so the
database can end an attempt that overran.  ``timeout`` is thus a heartbeat
timeout: a live worker keeps its tasks however long the handlers take, a dead
one loses them within ``timeout``.

Each task's answer decides what happens next:

``held``
    the lease was renewed; keep going.
``timed_out``, ``cancelled``, ``lost``
    the attempt is over in the database (it overran its execution timeout
    and was failed, its run was cancelled or failed, or the task moved on):
    the handler is told to stop (:meth:`TaskContext.stop`) and the task is
    no longer extended.

A ``pgflow_runs`` notification that a run ended (:meth:`LeaseKeeper.run_ended`)
makes the keeper extend at once when it holds tasks of that run, so the
answer, not the notification, confirms the cancellation.  A task leaves the
keeper when its outcome has been reported (:meth:`LeaseKeeper.release`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.run.retry import Backoff
from pgflow.run.rows import ClaimedTask
from pgflow.run.worker.context import StopReason, TaskContext

__all__ = ["LeaseKeeper", "TaskKey"]

log = logging.getLogger("pgflow.worker")

TaskKey = tuple[UUID, str, int, int]
"""``(run_id, step_slug, task_index, attempt)``: one attempt of one task."""

_MIN_PERIOD: Final = 0.2
"""Shortest interval between two extensions of one task (seconds)."""

_EXECUTION_TIMEOUT_MARGIN: Final = 0.05
"""Seconds after an attempt's execution timeout at which the keeper asks the database."""


@dataclass(slots=True)
class _Held:
    task: ClaimedTask
    context: TaskContext
    claimed_at: float
    """Monotonic time of the claim (the attempt's start, to within a claim's latency)."""
    period: float
    due: float
    execution_deadline: float | None
    finished: bool = False
    """The handler returned: its outcome is being reported (keep the lease until then)."""


def _key(task: ClaimedTask) -> TaskKey:
    return (task.run_id, task.step_slug, task.task_index, task.attempt)


class LeaseKeeper:
    """Extends the leases of running handlers on its own thread (see the module docstring).

    ``execution_timeout(task)`` gives the step's execution timeout in seconds
    (None: no limit).  ``on_stopped(task, reason)`` is called once per task
    told to stop.
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        worker_id: UUID,
        *,
        heartbeat_interval: float,
        execution_timeout: Callable[[ClaimedTask], int | None],
        lease_seconds: Callable[[ClaimedTask], int | None] = lambda _task: None,
        on_stopped: Callable[[ClaimedTask, StopReason], None] = lambda _task, _reason: None,
    ) -> None:
        self._pool = pool
        self._worker_id = worker_id
        self._heartbeat_interval = heartbeat_interval
        self._execution_timeout = execution_timeout
        self._lease_seconds = lease_seconds
        self._on_stopped = on_stopped
        self._held: dict[TaskKey, _Held] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._urgent = False
        self._thread = threading.Thread(target=self._serve, name="pgflow-leases", daemon=True)
        self.extensions = 0
        """``extend_leases`` calls made (for stats and tests)."""

    # -- called from other threads -------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def hold(self, task: ClaimedTask, context: TaskContext) -> None:
        """Keep ``task``'s lease while its handler runs (called before it starts)."""
        now = time.monotonic()
        period = self._period(task, now)
        limit = self._execution_timeout(task)
        deadline = None if limit is None else now + limit + _EXECUTION_TIMEOUT_MARGIN
        held = _Held(
            task=task,
            context=context,
            claimed_at=now,
            period=period,
            due=min(now + period, deadline if deadline is not None else now + period),
            execution_deadline=deadline,
        )
        with self._lock:
            self._held[_key(task)] = held
        self._wake.set()

    def finished(self, task: ClaimedTask) -> None:
        """The handler returned; its outcome is queued for reporting."""
        with self._lock:
            held = self._held.get(_key(task))
            if held is not None:
                held.finished = True

    def release(self, task: ClaimedTask) -> None:
        """The outcome was reported (or dropped): stop extending the lease."""
        with self._lock:
            self._held.pop(_key(task), None)

    def run_ended(self, run_id: UUID) -> None:
        """A run ended (a hint): extend now if we hold any of its tasks, to learn how."""
        with self._lock:
            mine = any(key[0] == run_id for key in self._held)
            if mine:
                self._urgent = True
        if mine:
            self._wake.set()

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._held)

    # -- the thread ------------------------------------------------------------

    def _period(self, task: ClaimedTask, now: float) -> float:
        """A third of the step's timeout (the lease), at most the heartbeat interval."""
        known = self._lease_seconds(task)
        # without a definition, the lease granted; the local clock may differ
        # from the server's, so never go below the period floor
        lease = (
            float(known)
            if known is not None
            else (task.lease_expires_at - datetime.now(UTC)).total_seconds()
        )
        third = lease / 3 if lease > 0 else _MIN_PERIOD
        return max(_MIN_PERIOD, min(third, self._heartbeat_interval))

    def _serve(self) -> None:
        backoff = Backoff(initial=0.2, maximum=5.0)
        while not self._stop.is_set():
            with self._lock:
                running = [h for h in self._held.values() if not h.context.cancelled]
                urgent, self._urgent = self._urgent, False
            now = time.monotonic()
            next_due = min((h.due for h in running), default=None)
            if running and (urgent or (next_due is not None and next_due <= now)):
                try:
                    self._extend(running)
                    backoff.reset()
                except psycopg.Error as error:
                    pause = backoff.delay()
                    log.warning(
                        "extend_leases failed (%s); retrying in %.2f s",
                        str(error).strip() or type(error).__name__,
                        pause,
                    )
                    self._stop.wait(pause)
                except Exception:  # pragma: no cover - defensive: the thread must live
                    log.exception("extend_leases failed")
                    self._stop.wait(1.0)
                continue
            timeout = None if next_due is None else max(0.0, next_due - now)
            self._wake.wait(timeout)
            self._wake.clear()

    def _extend(self, running: list[_Held]) -> None:
        running.sort(key=lambda h: _key(h.task))
        params = {
            "worker_id": self._worker_id,
            "run_ids": [h.task.run_id for h in running],
            "step_slugs": [h.task.step_slug for h in running],
            "task_indexes": [h.task.task_index for h in running],
            "attempts": [h.task.attempt for h in running],
        }
        with self._pool.connection(timeout=10.0) as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(queries.EXTEND_LEASES, params).fetchall()
        self.extensions += 1
        by_key = {_key(h.task): h for h in running}
        now = time.monotonic()
        for row in rows:
            key: TaskKey = (row["run_id"], row["step_slug"], row["task_index"], row["attempt"])
            held = by_key.get(key)
            if held is None:
                continue
            status = row["status"]
            if status == "held":
                held.context.lease_expires_at = row["lease_expires_at"]
                held.due = now + held.period
                deadline = held.execution_deadline
                if deadline is not None:
                    # past the deadline by our clock but not yet by the server's: ask again soon
                    held.due = min(held.due, max(deadline, now + _MIN_PERIOD))
                continue
            if held.finished:
                # the handler is done and its outcome reported or on its way:
                # "lost" here is usually our own completion landing first
                self.release(held.task)
                continue
            reason: StopReason = (
                "timed_out"
                if status == "timed_out"
                else "cancelled"
                if status == "cancelled"
                else "lost"
            )
            if held.context.stop(reason):
                self._on_stopped(held.task, reason)
