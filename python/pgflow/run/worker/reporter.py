"""Reports handler outcomes to the database, batching completions.

One thread drains a queue of :class:`Outcome`.  It takes everything queued
(after lingering ``flush_delay`` seconds, 0 by default), sends the
completions in one ``complete_tasks`` call (``complete_task`` for a single
one; a batch is also cut at :data:`MAX_BATCH_CHARS` of output text) and each
failure with ``fail_task``; what arrives meanwhile forms the next batch, so
batches grow with the load without delaying a lone result.

Connection trouble (see :func:`~pgflow.run.retry.is_transient`) is
retried with backoff until the call succeeds: a result the worker holds is
never dropped while the worker runs.  Only a stopping worker whose grace
period has passed gives up, and the tasks concerned are then retried after
their lease expires.  Any other error is not retried, and concerns one result
only:

* a batch ``complete_tasks`` the server refuses is sent again one result at a
  time, so one bad result does not sink the others;
* a single completion the server refuses (a jsonb limit, a value it cannot
  store, a statement timeout, ...) fails that task with the server's reason,
  ``OutputError: the database refused the output (SQLSTATE): message``;
* a completion or failure refused with one of pgflow's own codes (``PF0xx``:
  unknown run or task, an attempt that was never claimed) cannot succeed by
  failing the task either: it is logged and dropped, like a ``fail_task`` the
  server refuses; the task is retried when its lease expires.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final, LiteralString

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.run.retry import Abandoned, call_with_retry
from pgflow.run.rows import ClaimedTask
from pgflow.run.worker.executor import Outcome

__all__ = ["MAX_BATCH_CHARS", "MAX_ERROR_DETAIL", "Reporter", "bounded_detail"]

log = logging.getLogger("pgflow.worker")

MAX_BATCH_CHARS: Final = 32 * 1024 * 1024
"""Most output text (characters) sent in one ``complete_tasks`` call.

The outputs travel as one ``jsonb[]`` parameter, which PostgreSQL caps at
1 GB; batches of large outputs are cut well below that.
"""


MAX_ERROR_DETAIL: Final = 16 * 1024
"""Most characters of a traceback sent as ``fail_task``'s ``error_detail``
(its end is kept: the innermost frames and the exception say the most)."""


def bounded_detail(text: str | None, max_length: int = MAX_ERROR_DETAIL) -> str | None:
    """``text`` without NUL characters, its last ``max_length`` characters at most."""
    if text is None:
        return None
    text = text.replace("\x00", "\\x00")
    if len(text) > max_length:
        marker = "[truncated] ...\n"
        text = marker + text[len(text) - max(0, max_length - len(marker)) :]
    return text


def _describe(error: psycopg.Error) -> str:
    """``SQLSTATE: message (detail)`` on one line, as the server said it."""
    diag = error.diag
    message = diag.message_primary or str(error).strip() or type(error).__name__
    if diag.message_detail:
        message = f"{message} ({diag.message_detail})"
    message = " ".join(message.split())
    return f"{error.sqlstate}: {message}" if error.sqlstate else message


_OUTPUT_REFUSED: Final = frozenset({"PF031", "PF032"})
"""pgflow's refusals of the output itself (a plain secret, over max_output_bytes):
the task fails with the reason, like any output the server refuses."""


def _refused_by_pgflow(error: psycopg.Error) -> bool:
    """pgflow's own refusal (``PF0xx``): the call itself is wrong, not the output."""
    sqlstate = error.sqlstate or ""
    return sqlstate.startswith("PF") and sqlstate not in _OUTPUT_REFUSED


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
        on_settled: Callable[[Outcome], None] = lambda _outcome: None,
    ) -> None:
        self._pool = pool
        self._on_settled = on_settled
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
        self.refused = 0
        """Reports the database refused with a non-retried error (left to lease expiry)."""

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
            done: set[int] = set()
            try:
                self._send(batch, done)
            except Abandoned:
                self._abandon([o for o in batch if id(o) not in done])
            except Exception:  # pragma: no cover - defensive: the thread must live
                log.exception("unexpected error while reporting %d results", len(batch))
            finally:
                for outcome in batch:
                    self._settled(outcome)
                with self._drained:
                    self._pending -= len(batch)
                    self._drained.notify_all()

    def _settled(self, outcome: Outcome) -> None:
        try:
            self._on_settled(outcome)
        except Exception:  # pragma: no cover - defensive: the thread must live
            log.exception("on_settled failed for %s", outcome.task.key)

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
            self._settled(outcome)
            with self._drained:
                self._pending -= 1
                self._drained.notify_all()
            log.error("gave up reporting %s (worker stopping)", outcome.task.key)

    def _send(self, batch: Sequence[Outcome], done: set[int]) -> None:
        """Report ``batch``; adds ``id(outcome)`` to ``done`` as each one is settled."""
        completions = [o for o in batch if o.ok]
        for chunk in _chunks(completions, MAX_BATCH_CHARS):
            if len(chunk) == 1:
                self._complete_one(chunk[0])
            else:
                self._complete_many(chunk, done)
            done.update(id(o) for o in chunk)
        if completions:
            self._on_completed()
        for outcome in batch:
            if not outcome.ok:
                self._fail(outcome, outcome.error or "error")
                done.add(id(outcome))

    # -- completions ---------------------------------------------------------

    def _complete_many(self, batch: Sequence[Outcome], done: set[int]) -> None:
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
                self._pool, f"complete_tasks({len(batch)})", action, log=log, give_up=self._give_up
            )
        except psycopg.Error as error:
            # Not a connection problem (those are retried): the server refused
            # something in the batch. One bad item (an output over a jsonb
            # limit, an attempt never claimed) must not sink the others: report
            # them one by one to isolate it.
            log.warning(
                "complete_tasks for %d results was refused (%s); reporting them one by one",
                len(batch),
                _describe(error),
            )
            for outcome in batch:
                self._complete_one(outcome)
                done.add(id(outcome))
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

    def _report_one(
        self, what: str, query: LiteralString, task: ClaimedTask, **values: object
    ) -> dict[str, Any] | None:
        """``complete_task`` or ``fail_task`` of one task with ``values``, retried if transient."""
        params = {
            "run_id": task.run_id,
            "step_slug": task.step_slug,
            "task_index": task.task_index,
            "attempt": task.attempt,
            **values,
        }

        def action(conn: psycopg.Connection[Any]) -> dict[str, Any] | None:
            with conn.cursor(row_factory=dict_row) as cur:
                return cur.execute(query, params).fetchone()

        return call_with_retry(
            self._pool, f"{what}({task.step_slug})", action, log=log, give_up=self._give_up
        )

    def _complete_one(self, outcome: Outcome) -> None:
        task = outcome.task
        try:
            row = self._report_one(
                "complete_task", queries.COMPLETE_TASK, task, output=outcome.output_json
            )
        except psycopg.Error as error:
            if _refused_by_pgflow(error):
                self.refused += 1
                log.error(
                    "the database refused the completion of %s (%s); not retried,"
                    " the task is retried when its lease expires",
                    task.key,
                    _describe(error),
                )
                return
            # The server refused the output itself: the task fails with the reason.
            self._fail(
                outcome, f"OutputError: the database refused the output ({_describe(error)})"
            )
            return
        self.reported += 1
        log.debug("completed %s in %s", task.key, _ms(outcome.seconds))
        if row is None:
            return
        if row["status"] != "completed" or row["attempts_count"] is None:
            # Only the key and status come back when the call changed nothing.
            log.info("completion of %s changed nothing (task is %s)", task.key, row["status"])
        elif row["attempts_count"] != task.attempt:
            log.info(
                "lease lost: %s completed late (the task is at attempt %s); result kept",
                task.key,
                row["attempts_count"],
            )

    # -- failures --------------------------------------------------------------

    def _fail(self, outcome: Outcome, message: str) -> None:
        task = outcome.task
        try:
            row = self._report_one(
                "fail_task",
                queries.FAIL_TASK,
                task,
                error_message=_bounded(message, self._max_error_length),
                error_detail=bounded_detail(outcome.traceback),
            )
        except psycopg.Error as error:
            # Not retried: the same call would be refused again. The lease
            # expires and the task is claimed again.
            self.refused += 1
            log.error(
                "the database refused the failure of %s (%s); not retried,"
                " the task is retried when its lease expires (the failure was: %s)",
                task.key,
                _describe(error),
                message,
            )
            return
        self.reported += 1
        trace = f"\n{outcome.traceback.rstrip()}" if outcome.traceback else ""
        if row is None:
            log.warning("failed %s: %s%s", task.key, message, trace)
        elif row["attempts_count"] is None:
            # Only the key and status come back when the call changed nothing.
            log.info(
                "failure of %s changed nothing: its attempt is stale or the task is %s",
                task.key,
                row["status"],
            )
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


def _chunks(outcomes: Sequence[Outcome], max_chars: int) -> Iterator[list[Outcome]]:
    """Consecutive groups of ``outcomes`` whose output text adds up to at most ``max_chars``."""
    chunk: list[Outcome] = []
    size = 0
    for outcome in outcomes:
        length = len(outcome.output_json or "")
        if chunk and size + length > max_chars:
            yield chunk
            chunk, size = [], 0
        chunk.append(outcome)
        size += length
    if chunk:
        yield chunk


def _bounded(message: str, max_length: int) -> str:
    """``message`` without NUL characters (text refuses them), cut to ``max_length``."""
    text = message.replace("\x00", "\\x00")
    if len(text) > max_length:
        marker = " [truncated]"
        text = text[: max(0, max_length - len(marker))] + marker
    return text


def _when(moment: object) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)
