"""Attack (d): a forged ``pgflow_runs`` notification must not end a wait.

Any role that can connect may ``pg_notify('pgflow_runs', ...)``. While a
client waits for a run that is still started, a role outside pgflow keeps
announcing it completed; ``Client.wait`` must treat that as a hint, confirm
from the tables and keep waiting (here: time out).
"""

from __future__ import annotations

import json
import threading
from uuid import UUID

from tests.chaos.attacks.context import Attack
from tests.chaos.harness.figures import Figures

from pgflow import Client
from pgflow.run.client import WaitTimeoutError

__all__ = ["run"]

WAIT = 3.0


def forge(ctx: Attack, run_id: UUID, stop: threading.Event) -> int:
    """Notify that ``run_id`` completed, every 50 ms until ``stop``; returns how many times."""
    sent = 0
    with ctx.connect_as(ctx.roles.nobody) as nobody:
        while not stop.wait(0.05):
            for status in ("completed", "failed"):
                payload = json.dumps({"run_id": str(run_id), "status": status, "flow_slug": "x"})
                nobody.execute("select pg_catalog.pg_notify('pgflow_runs', %s)", (payload,))
                sent += 1
    return sent


def run(ctx: Attack, figures: Figures) -> None:
    flow = ctx.flow()
    with ctx.connect_as(ctx.roles.client) as conn:
        run_id = ctx.start(conn, flow)
    stop = threading.Event()
    sent: list[int] = []
    forger = threading.Thread(target=lambda: sent.append(forge(ctx, run_id, stop)), daemon=True)
    outcome: str
    with Client(ctx.roles.url(ctx.url, ctx.roles.client)) as client:
        forger.start()
        try:
            finished = client.wait(run_id, timeout=WAIT)
            outcome = f"wait() returned the run with status {finished.status!r}"
        except WaitTimeoutError:
            outcome = "timeout"
        finally:
            stop.set()
            forger.join(10)
    figures.faults += sum(sent)
    figures.tasks_checked += 1
    figures.check(
        outcome == "timeout",
        f"forged notification: {outcome} ({sum(sent)} forged notifications; the run is started)",
    )
