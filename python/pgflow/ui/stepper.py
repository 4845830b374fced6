"""Step through a flow: advance a run one task per click, in the UI process.

The playground's debugger.  For a flow given as FLOW_REF, the UI is a worker
of its own (one worker id per process, registered with ``register_worker``
and ``serve_steps`` like any worker, so ``claim_tasks`` fences it to the
verified registration), and each click:

1. claims one task of the flow (``claim_tasks`` with ``max_tasks => 1``);
2. runs its handler with the worker's :class:`~pgflow.run.worker.executor.HandlerExecutor`;
3. reports the outcome with the worker's :class:`~pgflow.run.worker.reporter.Reporter`
   (``complete_tasks`` / ``fail_task``, traceback included).

So a stepped task goes through exactly the worker's code paths.  Each step is
recorded (input before, output or error after) for the run page.  When no
other worker serves the flow, nothing else moves the run between clicks.
``claim_tasks`` takes any visible task of the flow: with several runs of it
in flight, a click may advance another run (the record says which).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.define.dsl import Flow, StepDefinition
from pgflow.payload.codec import Payloads
from pgflow.run.rows import ClaimedTask, row_cursor
from pgflow.run.worker.executor import HandlerExecutor, Outcome
from pgflow.run.worker.heartbeat import ServedFlow, register_worker, serve_steps, stop_worker
from pgflow.run.worker.options import WorkerOptions
from pgflow.run.worker.reporter import Reporter

__all__ = ["StepRecord", "Stepper"]

HANDLER_TIMEOUT = 300.0
"""Seconds one stepped handler may run before the click reports a timeout."""


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One click: which task ran, what it got and what it gave."""

    run_id: UUID
    step_slug: str
    task_index: int
    attempt: int
    input: Any
    output_json: str | None
    error: str | None
    traceback: str | None
    seconds: float


class Stepper:
    """Claims and runs one task at a time for the flows given on the command line."""

    def __init__(self, pool: ConnectionPool[Any], flows: Sequence[Flow[Any]]) -> None:
        self._pool = pool
        self._flows: Mapping[str, Flow[Any]] = {flow.slug: flow for flow in flows}
        self._steps: dict[tuple[str, str], StepDefinition] = {
            (flow.slug, step.slug): step for flow in flows for step in flow.steps
        }
        self.worker_id = uuid.uuid4()
        self._registered = False
        self._served: set[str] = set()
        self._lock = threading.Lock()
        self._options = WorkerOptions()
        self.records: dict[UUID, list[StepRecord]] = {}

    def close(self) -> None:
        """``stop_worker`` if this process ever stepped (so it is not listed as silent)."""
        with self._lock:
            if self._registered:
                stop_worker(self._pool, self.worker_id, deadline=time.monotonic() + 5.0)
                self._registered = False

    def can_step(self, flow_slug: str) -> bool:
        return flow_slug in self._flows

    def step(self, flow_slug: str) -> StepRecord | None:
        """Run one claimable task of ``flow_slug``; None when none is claimable now."""
        flow = self._flows[flow_slug]
        with self._lock:
            self._serve(flow)
            task = self._claim(flow_slug)
            if task is None:
                return None
            outcome = self._execute(task)
            self._report(outcome)
            record = StepRecord(
                run_id=task.run_id,
                step_slug=task.step_slug,
                task_index=task.task_index,
                attempt=task.attempt,
                input=task.input,
                output_json=outcome.output_json,
                error=outcome.error,
                traceback=outcome.traceback,
                seconds=outcome.seconds,
            )
            self.records.setdefault(task.run_id, []).append(record)
            return record

    def _serve(self, flow: Flow[Any]) -> None:
        if not self._registered:
            register_worker(self._pool, self.worker_id, list(self._flows))
            self._registered = True
        if flow.slug not in self._served:
            steps = tuple(step.slug for step in flow.steps if step.handler is not None)
            serve_steps(
                self._pool,
                self.worker_id,
                [ServedFlow(flow.slug, flow.shape().hash(), steps)],
            )
            self._served.add(flow.slug)

    def _claim(self, flow_slug: str) -> ClaimedTask | None:
        params = {"worker_id": self.worker_id, "max_tasks": 1, "flow_slugs": [flow_slug]}
        with self._pool.connection() as conn, row_cursor(conn, ClaimedTask) as cur:
            return cur.execute(queries.CLAIM_TASKS, params).fetchone()

    def _execute(self, task: ClaimedTask) -> Outcome:
        done: list[Outcome] = []
        finished = threading.Event()

        def on_done(outcome: Outcome) -> None:
            done.append(outcome)
            finished.set()

        executor = HandlerExecutor(
            worker_id=self.worker_id,
            concurrency=1,
            max_error_length=self._options.max_error_length,
            max_output_bytes=self._options.max_output_bytes,
            on_done=on_done,
            # like `pgflow worker`: sealed secrets opened with PGFLOW_KEYS
            payloads=Payloads.from_env(),
        )
        try:
            executor.submit(task, self._steps.get((task.flow_slug, task.step_slug)))
            if not finished.wait(HANDLER_TIMEOUT):
                raise TimeoutError(
                    f"the handler of {task.flow_slug}/{task.step_slug} ran for more than "
                    f"{HANDLER_TIMEOUT:.0f} s; its lease will expire"
                )
        finally:
            executor.shutdown(wait=False)
        return done[0]

    def _report(self, outcome: Outcome) -> None:
        reporter = Reporter(
            self._pool,
            flush_delay=0.0,
            max_batch=1,
            max_error_length=self._options.max_error_length,
        )
        reporter.start()
        reporter.put(outcome)
        reporter.close(time.monotonic() + 30.0)
