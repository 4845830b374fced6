"""Registers the worker, declares what it serves, keeps its ``last_heartbeat_at`` fresh.

After ``register_worker``, :func:`serve_steps` declares, per flow, the steps
this worker has handlers for, fenced to the flow registration whose shape it
verified: ``claim_tasks`` then gives it only those tasks, and nothing of a
flow dropped and deployed again.  Each heartbeat also asks ``stale_flows``
and logs once per flow that was redeployed under the worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from pgflow import queries
from pgflow.run.retry import Abandoned, call_with_retry

__all__ = ["Heartbeat", "ServedFlow", "register_worker", "serve_steps", "stop_worker"]

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
        log=log,
        give_up=give_up,
    )


@dataclass(frozen=True, slots=True)
class ServedFlow:
    """A flow as this worker verified it, and the steps it has handlers for."""

    flow_slug: str
    shape_hash: str
    step_slugs: tuple[str, ...]


def serve_steps(
    pool: ConnectionPool[Any],
    worker_id: UUID,
    served: Sequence[ServedFlow],
    *,
    give_up: threading.Event | None = None,
) -> Mapping[str, int]:
    """``pgflow.serve_steps`` for each flow; returns each flow's registration id."""
    flow_ids: dict[str, int] = {}
    for flow in served:
        flow_ids[flow.flow_slug] = _serve_flow(pool, worker_id, flow, give_up)
    return flow_ids


def _serve_flow(
    pool: ConnectionPool[Any],
    worker_id: UUID,
    flow: ServedFlow,
    give_up: threading.Event | None,
) -> int:
    params = {
        "worker_id": worker_id,
        "flow_slug": flow.flow_slug,
        "shape_hash": flow.shape_hash,
        "step_slugs": list(flow.step_slugs),
    }

    def action(conn: psycopg.Connection[Any]) -> int:
        row = conn.execute(queries.SERVE_STEPS, params).fetchone()
        return int(row[0]) if row is not None else 0

    return call_with_retry(pool, "serve_steps", action, log=log, give_up=give_up)


def stop_worker(pool: ConnectionPool[Any], worker_id: UUID, *, deadline: float) -> None:
    """``pgflow.stop_worker``, best effort until ``deadline`` (monotonic)."""
    call_with_retry(
        pool,
        "stop_worker",
        lambda conn: conn.execute(queries.STOP_WORKER, {"worker_id": worker_id}).fetchone(),
        log=log,
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
        *,
        served: Sequence[ServedFlow] = (),
    ) -> None:
        self._pool = pool
        self._served = tuple(served)
        self._stale_reported: set[str] = set()
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
                    if self._served:
                        self._serve_again()
                if self._served:
                    self._check_stale()
            except Abandoned:
                return
            except psycopg.Error as error:
                log.warning("heartbeat failed: %s", str(error).strip() or type(error).__name__)
            except Exception:  # pragma: no cover - defensive: the thread must live
                log.exception("heartbeat failed")

    def _serve_again(self) -> None:
        """After registering again: declare the served steps again (the rows went with the
        old registration), skipping flows already known to be stale."""
        current = [flow for flow in self._served if flow.flow_slug not in self._stale_reported]
        for flow in current:
            try:
                serve_steps(self._pool, self._worker_id, [flow], give_up=self._stop)
            except psycopg.Error as error:
                self._report_stale(flow.flow_slug, str(error).strip())

    def _check_stale(self) -> None:
        with self._pool.connection(timeout=self._interval) as conn:
            row = conn.execute(queries.STALE_FLOWS, {"worker_id": self._worker_id}).fetchone()
        for flow_slug in row[0] if row is not None and row[0] else ():
            self._report_stale(str(flow_slug))

    def _report_stale(self, flow_slug: str, reason: str | None = None) -> None:
        if flow_slug in self._stale_reported:
            return
        self._stale_reported.add(flow_slug)
        log.warning(
            "flow %s was redeployed with another definition; this worker no longer claims"
            " its tasks (restart it with the current code)%s",
            flow_slug,
            f" ({reason})" if reason else "",
        )
