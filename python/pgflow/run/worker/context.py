"""What a running handler can learn about the task it is running, and stop signals.

A handler calls :func:`current_task` to get its :class:`TaskContext`: the
task's identity, its attempt, its current lease, and whether the worker has
asked it to stop (:attr:`TaskContext.cancelled`, :meth:`TaskContext.should_stop`).

The worker asks a handler to stop when the database says its attempt is over:
the run was cancelled or failed (``cancelled``), the attempt ran past the
step's ``execution_timeout`` and was failed (``timed_out``), or the task moved
on without it (``lost``: another attempt holds it, or it finished).  An async
handler is also cancelled (``asyncio.CancelledError`` at its next ``await``);
a sync handler cannot be interrupted, so a long one should check
``current_task().should_stop()`` between units of work and return early.  A
stopped handler's result is not reported as a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import datetime
from typing import Literal
from uuid import UUID

__all__ = ["StopReason", "TaskContext", "current_task"]

StopReason = Literal["cancelled", "timed_out", "lost"]
"""Why the worker told a handler to stop (the status ``extend_leases`` answered)."""


class TaskContext:
    """The task a handler is running: identity, attempt, lease and stop signal.

    ``attempt`` is 1 for the first try; a handler may use
    ``(run_id, step_slug, task_index)`` as an idempotency key for its side
    effects, since a task can run more than once (retries, lost leases).
    ``lease_expires_at`` moves forward each time the worker extends the lease.
    """

    __slots__ = (
        "_async_task",
        "_lock",
        "_on_stop",
        "_stop_reason",
        "_stopped",
        "attempt",
        "flow_slug",
        "lease_expires_at",
        "run_id",
        "step_slug",
        "task_index",
        "worker_id",
    )

    def __init__(
        self,
        *,
        worker_id: UUID,
        run_id: UUID,
        flow_slug: str,
        step_slug: str,
        task_index: int,
        attempt: int,
        lease_expires_at: datetime,
    ) -> None:
        self.worker_id = worker_id
        self.run_id = run_id
        self.flow_slug = flow_slug
        self.step_slug = step_slug
        self.task_index = task_index
        self.attempt = attempt
        self.lease_expires_at = lease_expires_at
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._stop_reason: StopReason | None = None
        self._async_task: tuple[asyncio.AbstractEventLoop, asyncio.Task[object]] | None = None
        self._on_stop: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return (
            f"TaskContext(run_id={self.run_id}, step_slug={self.step_slug!r}, "
            f"task_index={self.task_index}, attempt={self.attempt}, "
            f"stop_reason={self._stop_reason!r})"
        )

    # -- for handlers ---------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        """True once the worker asked this handler to stop (see :attr:`stop_reason`)."""
        return self._stopped.is_set()

    @property
    def stop_reason(self) -> StopReason | None:
        """``"cancelled"``, ``"timed_out"`` or ``"lost"`` once told to stop; else None."""
        return self._stop_reason

    def should_stop(self) -> bool:
        """Same as :attr:`cancelled`: a sync handler checks it between units of work."""
        return self._stopped.is_set()

    def wait_stopped(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds, waking early if told to stop; True if told."""
        return self._stopped.wait(timeout)

    # -- for the worker -------------------------------------------------------

    def stop(self, reason: StopReason) -> bool:
        """Tell the handler to stop; False if it was told already."""
        with self._lock:
            if self._stopped.is_set():
                return False
            self._stop_reason = reason
            self._stopped.set()
            running = self._async_task
            callbacks = list(self._on_stop)
        if running is not None:
            loop, task = running
            with contextlib.suppress(RuntimeError):  # a closed loop: nothing to cancel
                loop.call_soon_threadsafe(task.cancel)
        for callback in callbacks:
            callback()
        return True

    def attach_async(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[object]) -> None:
        """The asyncio task running the handler: :meth:`stop` cancels it."""
        with self._lock:
            self._async_task = (loop, task)
            stopped = self._stopped.is_set()
        if stopped:
            loop.call_soon_threadsafe(task.cancel)

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when told to stop (at once if told already)."""
        with self._lock:
            if not self._stopped.is_set():
                self._on_stop.append(callback)
                return
        callback()


_current: ContextVar[TaskContext] = ContextVar("pgflow_current_task")


def current_task() -> TaskContext:
    """The task of the handler calling this; ``LookupError`` outside a handler."""
    try:
        return _current.get()
    except LookupError:
        raise LookupError("pgflow.current_task() called outside a step handler") from None


def set_current(context: TaskContext) -> Token[TaskContext]:
    return _current.set(context)


def reset_current(token: Token[TaskContext]) -> None:
    _current.reset(token)
