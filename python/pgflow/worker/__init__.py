"""Run step handlers for tasks claimed from pgflow's queue.

Use :class:`Worker` to embed a worker in a process of your own, or the
``pgflow worker FLOW_REF...`` command.  Inside a handler,
:func:`current_task` tells which task (run, step, index, attempt) is running.
"""

from pgflow.worker.context import TaskContext, current_task
from pgflow.worker.options import WorkerOptions
from pgflow.worker.worker import Worker, WorkerReport

__all__ = ["TaskContext", "Worker", "WorkerOptions", "WorkerReport", "current_task"]
