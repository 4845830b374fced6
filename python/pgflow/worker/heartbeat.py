"""Registers the worker and keeps its ``last_heartbeat_at`` fresh."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.worker.database import Abandoned, call_with_retry

__all__ = ["Heartbeat", "register_worker", "stop_worker"]

log = logging.getLogger("pgflow.worker")


def register_worker(
    pool: ConnectionPool[Any],
    worker_id: UUID,
    flow_slugs: Sequence[str],
    *,
    give_up: threading.Event | None = None,
) -> None:
    """``pgflow.register_worker`` with this host name and process id."""
    params = {
        "worker_id": worker_id,
        "flow_slugs": list(flow_slugs),
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
    }
    call_with_retry(
        pool,
        "register_worker",
        lambda conn: conn.execute(queries.REGISTER_WORKER, params).fetchone(),
        give_up=give_up,
    )


def stop_worker(pool: ConnectionPool[Any], worker_id: UUID, *, deadline: float) -> None:
    """``pgflow.stop_worker``, best effort until ``deadline`` (monotonic)."""
    call_with_retry(
        pool,
        "stop_worker",
        lambda conn: conn.execute(queries.STOP_WORKER, {"worker_id": worker_id}).fetchone(),
        deadline=deadline,
    )


class Heartbeat:
    """Calls ``heartbeat_worker`` every ``interval`` seconds on its own thread.

    If the database no longer knows the worker (``false``), it registers
    again.  A missed heartbeat is logged and tried again at the next tick.
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        worker_id: UUID,
        flow_slugs: Sequence[str],
        interval: float,
    ) -> None:
        self._pool = pool
        self._worker_id = worker_id
        self._flow_slugs = tuple(flow_slugs)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="pgflow-heartbeat", daemon=True)
        self.beats = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                with self._pool.connection(timeout=self._interval) as conn:
                    row = conn.execute(
                        queries.HEARTBEAT_WORKER, {"worker_id": self._worker_id}
                    ).fetchone()
                self.beats += 1
                if row is not None and row[0] is False:
                    log.warning(
                        "worker %s was unknown to the database; registering again", self._worker_id
                    )
                    register_worker(
                        self._pool, self._worker_id, self._flow_slugs, give_up=self._stop
                    )
            except Abandoned:
                return
            except psycopg.Error as error:
                log.warning("heartbeat failed: %s", str(error).strip() or type(error).__name__)
            except Exception:  # pragma: no cover - defensive: the thread must live
                log.exception("heartbeat failed")
