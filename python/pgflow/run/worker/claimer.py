"""The claim loop: asks ``claim_tasks`` for at most the free slots, then sleeps.

It sleeps until one of: a ``pgflow_tasks`` notification for one of its
flows, a handler slot freeing up while more work is known to be waiting,
the moment ``next_task_visible_at`` announced (a delayed step, a retry after
backoff, an expired lease), or the poll interval (the fallback).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.run.retry import Abandoned, Backoff, call_with_retry
from pgflow.run.rows import ClaimedTask, row_cursor

__all__ = ["ClaimLoop"]

log = logging.getLogger("pgflow.worker")

_MIN_SLEEP = 0.01
"""Margin after an announced visibility time, so the task is visible when we claim."""

_FILL_WAIT = 0.002
"""How long a claim with a backlog waits for busy handler slots to fill its batch."""


class ClaimLoop:
    """Claims tasks and hands them to ``submit``; runs on the caller's thread."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        *,
        worker_id: UUID,
        flow_slugs: Sequence[str],
        batch_size: int,
        poll_interval: float,
        free_slots: Callable[[], int],
        submit: Callable[[ClaimedTask], None],
        stopping: threading.Event,
    ) -> None:
        self._pool = pool
        self._worker_id = worker_id
        self._flow_slugs = list(flow_slugs)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._free_slots = free_slots
        self._submit = submit
        self._stopping = stopping
        self._wake = threading.Event()
        self._work_hint = True  # claim at once on start
        self._recheck = False
        self._due: float | None = None
        self._due_lock = threading.Lock()
        self.claims = 0
        self.claimed = 0
        self.first_claim_at: float | None = None

    # -- called from other threads -------------------------------------------

    def tasks_available(self) -> None:
        """A notification said tasks of our flows became claimable."""
        self._work_hint = True
        self._wake.set()

    def due_in(self, seconds: float) -> None:
        """A task of ours becomes claimable in ``seconds`` (a retry after backoff)."""
        due = time.monotonic() + max(0.0, seconds) + _MIN_SLEEP
        with self._due_lock:
            self._due = due if self._due is None else min(self._due, due)
        self._wake.set()

    def recheck(self) -> None:
        """Ask ``next_task_visible_at`` again (a completion may have made delayed tasks)."""
        self._recheck = True
        self._wake.set()

    def slot_freed(self) -> None:
        """A handler finished; claim again if more work is known to wait."""
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # -- the loop --------------------------------------------------------------

    def run(self) -> None:
        next_poll = time.monotonic()
        idle_backoff = Backoff(initial=0.05, maximum=self._poll_interval)
        error_backoff = Backoff(initial=0.1, maximum=5.0)
        while not self._stopping.is_set():
            self._wake.clear()
            free = self._free_slots()
            with self._due_lock:
                due, self._due = self._due, None
            if due is not None:
                next_poll = min(next_poll, due)
            if self._recheck:
                self._recheck = False
                try:
                    next_poll = min(next_poll, self._next_poll(idle_backoff))
                except Abandoned:
                    return
                except psycopg.Error as error:
                    log.warning("next_task_visible_at failed: %s", error)
            now = time.monotonic()
            if free > 0 and (self._work_hint or now >= next_poll):
                if self._work_hint and free < self._batch_size:
                    free = self._fill_batch(free)
                self._work_hint = False
                wanted = min(free, self._batch_size)
                try:
                    got = self._claim(wanted)
                    if got < wanted:
                        next_poll = self._next_poll(idle_backoff)
                    else:
                        self._work_hint = True  # a full batch: more may be waiting
                        idle_backoff.reset()
                    error_backoff.reset()
                except Abandoned:
                    return
                except psycopg.Error as error:
                    pause = error_backoff.delay()
                    log.error("claim_tasks failed: %s; retrying in %.2f s", error, pause)
                    self._work_hint = True
                    self._stopping.wait(pause)
                    continue
                if self._work_hint and self._free_slots() > 0:
                    continue
            timeout = max(0.0, next_poll - time.monotonic()) if free > 0 else None
            self._wake.wait(timeout if timeout is not None else self._poll_interval)

    def _fill_batch(self, free: int) -> int:
        """With a backlog, give running handlers up to ``_FILL_WAIT`` to free more slots.

        One claim of a full batch costs the database about what a claim of one
        task does; claiming each slot as it frees would cost a claim per task.
        """
        deadline = time.monotonic() + _FILL_WAIT
        while free < self._batch_size and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake.clear()
            more = self._free_slots()
            if more == free:
                self._wake.wait(remaining)
                more = self._free_slots()
            if more == free and time.monotonic() >= deadline:
                break
            free = more
        return free

    def _claim(self, wanted: int) -> int:
        params = {
            "worker_id": self._worker_id,
            "max_tasks": wanted,
            "flow_slugs": self._flow_slugs,
        }

        def action(conn: psycopg.Connection[Any]) -> list[ClaimedTask]:
            # An input Python cannot decode becomes a marker on its task (which
            # the executor fails), never an exception that loses the batch.
            with row_cursor(conn, ClaimedTask) as cur:
                return cur.execute(queries.CLAIM_TASKS, params).fetchall()

        tasks = call_with_retry(self._pool, "claim_tasks", action, log=log, give_up=self._stopping)
        self.claims += 1
        if tasks:
            if self.first_claim_at is None:
                self.first_claim_at = time.monotonic()
            self.claimed += len(tasks)
            log.debug("claimed %d of %d tasks", len(tasks), wanted)
        for task in tasks:
            log.debug("claimed %s attempt %d", task.key, task.attempt)
            self._submit(task)
        return len(tasks)

    def _next_poll(self, idle_backoff: Backoff) -> float:
        """When to claim next if no notification comes: poll interval or next visibility."""
        params = {"flow_slugs": self._flow_slugs}

        def action(conn: psycopg.Connection[Any]) -> float | None:
            row = conn.execute(queries.NEXT_TASK_VISIBLE_AT, params).fetchone()
            return None if row is None or row[0] is None else float(row[0])

        wait = call_with_retry(
            self._pool, "next_task_visible_at", action, log=log, give_up=self._stopping
        )
        if wait is None or wait >= self._poll_interval:
            idle_backoff.reset()
            return time.monotonic() + self._poll_interval
        if wait > 0:
            idle_backoff.reset()
            return time.monotonic() + wait + _MIN_SLEEP
        # Announced as visible already but our claim did not get it (another
        # worker did, or it is not claimable yet): back off instead of spinning.
        return time.monotonic() + idle_backoff.delay()
