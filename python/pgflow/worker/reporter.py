"""Reports handler outcomes to the database, batching completions.

One thread drains a queue of :class:`Outcome`.  It takes everything queued
(after lingering ``flush_delay`` seconds, 0 by default), sends the
completions in one ``complete_tasks`` call (``complete_task`` for a single
one) and each failure with ``fail_task``; what arrives meanwhile forms the
next batch, so batches grow with the load without delaying a lone result.
Transient errors are retried with backoff until the call succeeds: a result
the worker holds is never dropped while the worker runs.  Only a stopping
worker whose grace period has passed gives up, and the tasks concerned are
then retried after their lease expires.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.worker.database import Abandoned, call_with_retry
from pgflow.worker.executor import Outcome

__all__ = ["Reporter"]

log = logging.getLogger("pgflow.worker")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class Reporter:
    """Sends outcomes with ``complete_tasks`` / ``complete_task`` / ``fail_task``.

    ``on_retry_scheduled(seconds)`` is called when a failed task was queued
    again for later (the database sends no notification for that), and
    ``on_completed()`` after completions were reported.
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        *,
        flush_delay: float,
        max_batch: int,
        max_error_length: int,
        on_retry_scheduled: Callable[[float], None] = lambda _seconds: None,
        on_completed: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool = pool
        self._on_retry_scheduled = on_retry_scheduled
        self._on_completed = on_completed
        self._flush_delay = flush_delay
        self._max_batch = max_batch
        self._max_error_length = max_error_length
        self._queue: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._pending = 0
        self._drained = threading.Condition()
        self._closing = threading.Event()
        self._give_up = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="pgflow-reporter", daemon=True)
        self.reported = 0
        """Outcomes the database acknowledged (completed or failed), for stats."""
        self.lost = 0
        """Outcomes given up on at shutdown (left to lease expiry)."""

    def start(self) -> None:
        self._thread.start()

    def put(self, outcome: Outcome) -> None:
        with self._drained:
            self._pending += 1
        self._queue.put(outcome)

    @property
    def pending(self) -> int:
        """Outcomes queued or being sent."""
        with self._drained:
            return self._pending

    def close(self, deadline: float) -> bool:
        """Send what is pending, then stop; give up at ``deadline`` (monotonic).

        Returns True when every outcome was reported.
        """
        self._closing.set()
        with self._drained:
            drained = self._drained.wait_for(
                lambda: self._pending == 0, max(0.0, deadline - time.monotonic())
            )
        if not drained:
            self._give_up.set()
        self._thread.join(timeout=10)
        return drained

    # -- the reporting thread ----------------------------------------------

    def _serve(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._closing.is_set() and self.pending == 0:
                    return
                continue
            batch = [first]
            linger_until = time.monotonic() + self._flush_delay
            while len(batch) < self._max_batch:
                remaining = linger_until - time.monotonic()
                try:
                    batch.append(
                        self._queue.get(timeout=remaining)
                        if remaining > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            try:
                self._send(batch)
            except Abandoned:
                self._abandon(batch)
            except Exception:  # pragma: no cover - defensive: the thread must live
                log.exception("unexpected error while reporting %d results", len(batch))
            finally:
                with self._drained:
                    self._pending -= len(batch)
                    self._drained.notify_all()

    def _abandon(self, batch: Sequence[Outcome]) -> None:
        self.lost += len(batch)
        for outcome in batch:
            log.error(
                "gave up reporting %s (worker stopping); it will be retried when its lease expires",
                outcome.task.key,
            )
        while True:  # everything still queued is lost the same way
            try:
                outcome = self._queue.get_nowait()
            except queue.Empty:
                return
            self.lost += 1
            with self._drained:
                self._pending -= 1
                self._drained.notify_all()
            log.error("gave up reporting %s (worker stopping)", outcome.task.key)

    def _send(self, batch: Sequence[Outcome]) -> None:
        now = datetime.now(UTC)
        for outcome in batch:
            if outcome.task.lease_expires_at < now:
                log.warning(
                    "lease lost: %s finished after its lease expired at %s"
                    " (the step timeout is shorter than the handler); "
                    "another worker may run it again",
                    outcome.task.key,
                    outcome.task.lease_expires_at.isoformat(),
                )
        completions = [o for o in batch if o.ok]
        if len(completions) == 1:
            self._complete_one(completions[0])
        elif completions:
            self._complete_many(completions)
        if completions:
            self._on_completed()
        for outcome in batch:
            if not outcome.ok:
                self._fail(outcome, outcome.error or "error")

    # -- completions ---------------------------------------------------------

    def _complete_many(self, batch: Sequence[Outcome]) -> None:
        params = {
            "run_ids": [o.task.run_id for o in batch],
            "step_slugs": [o.task.step_slug for o in batch],
            "outputs": [o.output_json for o in batch],
            "task_indexes": [o.task.task_index for o in batch],
            "attempts": [o.task.attempt for o in batch],
        }

        def action(conn: psycopg.Connection[Any]) -> int:
            row = conn.execute(queries.COMPLETE_TASKS, params).fetchone()
            return int(row[0]) if row is not None and row[0] is not None else 0

        try:
            changed = call_with_retry(
                self._pool, f"complete_tasks({len(batch)})", action, give_up=self._give_up
            )
        except psycopg.Error as error:
            # One bad item (e.g. an output the server refuses) must not sink the
            # others: report them one by one to isolate it.
            log.warning(
                "complete_tasks for %d results failed (%s); reporting them one by one",
                len(batch),
                error,
            )
            for outcome in batch:
                self._complete_one(outcome)
            return
        self.reported += len(batch)
        for outcome in batch:
            log.debug("completed %s in %s", outcome.task.key, _ms(outcome.seconds))
        if changed < len(batch):
            log.info(
                "%d of %d completions changed nothing: the task was already finished"
                " (lease lost and completed by another worker) or its run had ended",
                len(batch) - changed,
                len(batch),
            )

    def _complete_one(self, outcome: Outcome) -> None:
        task = outcome.task
        params = {
            "run_id": task.run_id,
            "step_slug": task.step_slug,
            "output": outcome.output_json,
            "task_index": task.task_index,
            "attempt": task.attempt,
        }

        def action(conn: psycopg.Connection[Any]) -> dict[str, Any] | None:
            with conn.cursor(row_factory=dict_row) as cur:
                return cur.execute(queries.COMPLETE_TASK, params).fetchone()

        try:
            row = call_with_retry(
                self._pool, f"complete_task({task.step_slug})", action, give_up=self._give_up
            )
        except psycopg.DataError as error:
            # The server refused the output itself: the task fails with the reason.
            self._fail(outcome, f"OutputError: the database refused the output: {error}")
            return
        except psycopg.Error as error:
            log.error("could not complete %s: %s", task.key, error)
            return
        self.reported += 1
        log.debug("completed %s in %s", task.key, _ms(outcome.seconds))
        if row is not None and row["status"] != "completed":
            log.info("completion of %s changed nothing (task is %s)", task.key, row["status"])
        elif row is not None and row["attempts_count"] != task.attempt:
            log.info(
                "lease lost: %s completed late (the task is at attempt %s); result kept",
                task.key,
                row["attempts_count"],
            )

    # -- failures --------------------------------------------------------------

    def _fail(self, outcome: Outcome, message: str) -> None:
        task = outcome.task
        params = {
            "run_id": task.run_id,
            "step_slug": task.step_slug,
            "error_message": message[: self._max_error_length],
            "task_index": task.task_index,
            "attempt": task.attempt,
        }

        def action(conn: psycopg.Connection[Any]) -> dict[str, Any] | None:
            with conn.cursor(row_factory=dict_row) as cur:
                return cur.execute(queries.FAIL_TASK, params).fetchone()

        try:
            row = call_with_retry(
                self._pool, f"fail_task({task.step_slug})", action, give_up=self._give_up
            )
        except psycopg.Error as error:
            log.error("could not report the failure of %s: %s", task.key, error)
            return
        self.reported += 1
        trace = f"\n{outcome.traceback.rstrip()}" if outcome.traceback else ""
        if row is None:
            log.warning("failed %s: %s%s", task.key, message, trace)
        elif row["attempts_count"] != task.attempt or row["status"] not in ("queued", "failed"):
            log.info(
                "lease lost: failure of %s ignored (task is %s at attempt %s)",
                task.key,
                row["status"],
                row["attempts_count"],
            )
        elif row["status"] == "queued":
            if row["retry_in"] is not None:
                self._on_retry_scheduled(float(row["retry_in"]))
            log.warning(
                "failed %s (attempt %s of %s) after %s: %s; retry at %s%s",
                task.key,
                task.attempt,
                row["max_attempts"],
                _ms(outcome.seconds),
                message,
                _when(row["visible_at"]),
                trace,
            )
        else:
            log.error(
                "failed %s (attempt %s of %s): %s; no attempts left%s",
                task.key,
                task.attempt,
                row["max_attempts"],
                message,
                trace,
            )


def _when(moment: object) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)
