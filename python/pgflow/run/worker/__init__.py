"""Run step handlers for tasks claimed from pgflow's queue.

Use :class:`Worker` to embed a worker in a process of your own, or the
``pgflow worker FLOW_REF...`` command.  Inside a handler,
:func:`current_task` tells which task (run, step, index, attempt) is running
and whether the worker asked it to stop (``current_task().should_stop()``).
"""

from pgflow.run.worker.context import StopReason, TaskContext, current_task
from pgflow.run.worker.logjson import JsonFormatter
from pgflow.run.worker.options import WorkerOptions
from pgflow.run.worker.worker import Worker, WorkerReport

__all__ = [
    "JsonFormatter",
    "StopReason",
    "TaskContext",
    "Worker",
    "WorkerOptions",
    "WorkerReport",
    "current_task",
]
