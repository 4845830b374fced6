"""The one LISTEN connection of a ``pgflow ui`` process, fanned out to every open page.

pgflow NOTIFYs ``pgflow_tasks`` (payload: a flow slug) when tasks of a flow
become claimable and ``pgflow_runs`` (``{"run_id", "flow_slug", "status"}``)
when a run finishes.  A task completion that readies nothing (one element of
a map step, a step whose dependents wait for others) sends no notification,
so the bridge also polls a cheap fingerprint of the runs that open pages
watch (:data:`pgflow.queries.UI_RUN_FINGERPRINTS`), on the same connection,
once per ``interval``.  Everything that arrived during one interval goes out
as one :class:`Change` (debounced); pages treat it as a hint and read the
state again from the tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg

from pgflow import queries

__all__ = ["Bridge", "Change"]

log = logging.getLogger("pgflow.ui")


@dataclass(frozen=True, slots=True)
class Change:
    """What moved during one interval; ``everything`` after a reconnect (resync)."""

    runs: frozenset[UUID] = frozenset()
    flows: frozenset[str] = frozenset()
    everything: bool = False

    def concerns(self, run_id: UUID | None, flow_slug: str | None) -> bool:
        if self.everything or run_id is None:
            return True
        return run_id in self.runs or (flow_slug is not None and flow_slug in self.flows)

    def to_json(self) -> str:
        return json.dumps(
            {
                "runs": sorted(str(run) for run in self.runs),
                "flows": sorted(self.flows),
                "everything": self.everything,
            }
        )


@dataclass(eq=False)
class _Subscriber:
    queue: asyncio.Queue[Change] = field(default_factory=lambda: asyncio.Queue(maxsize=16))
    run_id: UUID | None = None


class Bridge:
    """Listens once, polls watched runs, and fans changes out to subscribers."""

    def __init__(self, conninfo: str, *, interval: float = 0.2) -> None:
        self._conninfo = conninfo
        self.interval = interval
        self._subscribers: set[_Subscriber] = set()
        self._watched: Counter[UUID] = Counter()
        self._fingerprints: dict[UUID, str] = {}
        self._task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.listening = asyncio.Event()
        self.broadcasts = 0

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._serve(), name="pgflow-ui-bridge")

    async def stop(self) -> None:
        self.closed.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # -- subscribers -------------------------------------------------------------------

    def subscribe(self, run_id: UUID | None = None) -> _Subscriber:
        subscriber = _Subscriber(run_id=run_id)
        self._subscribers.add(subscriber)
        if run_id is not None:
            self._watched[run_id] += 1
        return subscriber

    def unsubscribe(self, subscriber: _Subscriber) -> None:
        self._subscribers.discard(subscriber)
        run_id = subscriber.run_id
        if run_id is not None:
            self._watched[run_id] -= 1
            if self._watched[run_id] <= 0:
                del self._watched[run_id]
                self._fingerprints.pop(run_id, None)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def end_streams(self) -> None:
        """Tell every event stream to end (the server is shutting down)."""
        self.closed.set()
        self.publish(Change(everything=True))

    def publish(self, change: Change) -> None:
        self.broadcasts += 1
        for subscriber in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                # a page that fell behind misses a hint, not the state: the
                # next change makes it read everything again
                subscriber.queue.put_nowait(change)

    # -- the listener ----------------------------------------------------------------------

    async def _serve(self) -> None:
        delay = 0.5
        first = True
        while not self.closed.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, application_name="pgflow-ui-listener"
                ) as conn:
                    await conn.execute(queries.LISTEN_TASKS)
                    await conn.execute(queries.LISTEN_RUNS)
                    self.listening.set()
                    if not first:
                        self.publish(Change(everything=True))
                    first = False
                    delay = 0.5
                    await self._listen(conn)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.listening.clear()
                log.warning("pgflow ui: listener connection lost (%s); retrying", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while not self.closed.is_set():
            runs: set[UUID] = set()
            flows: set[str] = set()
            async for notify in conn.notifies(timeout=self.interval):
                if notify.channel == "pgflow_tasks":
                    flows.add(notify.payload)
                else:
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        payload = json.loads(notify.payload)
                        runs.add(UUID(payload["run_id"]))
                        flows.add(str(payload["flow_slug"]))
            runs |= await self._poll(conn)
            if runs or flows:
                self.publish(Change(runs=frozenset(runs), flows=frozenset(flows)))

    async def _poll(self, conn: psycopg.AsyncConnection[Any]) -> set[UUID]:
        watched = list(self._watched)
        if not watched:
            return set()
        cur = await conn.execute(queries.UI_RUN_FINGERPRINTS, {"run_ids": watched})
        changed: set[UUID] = set()
        for run_id, fingerprint in await cur.fetchall():
            # a run seen for the first time counts as changed: the page may
            # have been rendered just before it subscribed
            if self._fingerprints.get(run_id) != fingerprint:
                changed.add(run_id)
            self._fingerprints[run_id] = str(fingerprint)
        return changed
