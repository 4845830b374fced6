"""What a running handler can learn about the task it is running."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

__all__ = ["TaskContext", "current_task"]


@dataclass(frozen=True, slots=True)
class TaskContext:
    """The task a handler is running: identity, attempt number and lease.

    ``attempt`` is 1 for the first try; a handler may use
    ``(run_id, step_slug, task_index)`` as an idempotency key for its side
    effects, since a task can run more than once (retries, expired leases).
    """

    worker_id: UUID
    run_id: UUID
    flow_slug: str
    step_slug: str
    task_index: int
    attempt: int
    lease_expires_at: datetime


_current: ContextVar[TaskContext] = ContextVar("pgflow_current_task")


def current_task() -> TaskContext:
    """The task of the handler calling this; ``LookupError`` outside a handler."""
    try:
        return _current.get()
    except LookupError:
        raise LookupError("pgflow.worker.current_task() called outside a step handler") from None


def set_current(context: TaskContext) -> Token[TaskContext]:
    return _current.set(context)


def reset_current(token: Token[TaskContext]) -> None:
    _current.reset(token)
