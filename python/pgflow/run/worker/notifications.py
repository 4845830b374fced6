"""Wakes the claim loop when the database says tasks became claimable.

A dedicated pooled connection (autocommit) runs ``LISTEN pgflow_tasks`` and
waits for notifications whose payload is the flow slug.  A notification for
one of the worker's flows calls ``on_tasks``.  The same connection runs
``LISTEN pgflow_runs``: a run of the worker's flows that ended cancelled or
failed calls ``on_run_ended(run_id)`` (a hint; the lease keeper confirms it
with ``extend_leases``).  If the connection drops, the listener reconnects
with backoff and calls ``on_tasks`` once it listens again, since
notifications sent meanwhile are lost.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.run.retry import Backoff, is_transient

__all__ = ["TaskListener"]

log = logging.getLogger("pgflow.worker")


class TaskListener:
    """``LISTEN pgflow_tasks`` on its own thread; calls ``on_tasks`` per relevant notification."""

    def __init__(
        self,
        pool: ConnectionPool[Any],
        flow_slugs: Collection[str],
        on_tasks: Callable[[], None],
        *,
        on_run_ended: Callable[[UUID], None] | None = None,
        check_every: float = 0.5,
    ) -> None:
        self._pool = pool
        self._on_run_ended = on_run_ended
        self._flow_slugs = frozenset(flow_slugs)
        self._on_tasks = on_tasks
        self._check_every = check_every
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="pgflow-listener", daemon=True)
        self.notifications = 0

    def start(self) -> None:
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """True once ``LISTEN`` took effect (so no later notification is missed)."""
        return self._listening.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        backoff = Backoff(maximum=5.0)
        while not self._stop.is_set():
            try:
                with self._pool.connection() as conn:
                    conn.execute(queries.LISTEN_TASKS)
                    if self._on_run_ended is not None:
                        conn.execute(queries.LISTEN_RUNS)
                    self._listening.set()
                    backoff.reset()
                    # Anything sent while we were not listening is lost: claim once.
                    self._on_tasks()
                    self._listen(conn)
                    conn.execute(queries.UNLISTEN_ALL)
            except psycopg.Error as error:
                self._listening.clear()
                if not is_transient(error):
                    log.error("notification listener failed: %s", error)
                pause = backoff.delay()
                log.warning(
                    "notification listener lost its connection (%s); reconnecting in %.2f s",
                    str(error).strip() or type(error).__name__,
                    pause,
                )
                self._stop.wait(pause)

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            relevant = False
            for notify in conn.notifies(timeout=self._check_every):
                self.notifications += 1
                if notify.channel == "pgflow_runs":
                    self._run_ended(notify.payload)
                elif notify.payload in self._flow_slugs or not notify.payload:
                    relevant = True
                    break
            if relevant:
                self._on_tasks()

    def _run_ended(self, payload: str) -> None:
        if self._on_run_ended is None:
            return
        try:
            data = json.loads(payload)
            if data.get("flow_slug") not in self._flow_slugs:
                return
            if data.get("status") not in ("cancelled", "failed"):
                return
            run_id = UUID(str(data["run_id"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            log.debug("ignoring a pgflow_runs notification: %r", payload[:200])
            return
        self._on_run_ended(run_id)
