"""Attack (c): completions and failures not bound to a claim.

As a worker role: completing or failing an attempt that was never claimed
(attempt 7 when one claim exists, a queued task, a still-delayed task, with
or without an attempt number, alone or inside a batch) raises PF017 and
changes nothing. Calls on a finished task, or naming a stale attempt,
return only the status: no output, error or input of a task the caller did
not finish.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb
from tests.chaos.attacks.context import Attack, attempt
from tests.chaos.harness.db import Conn
from tests.chaos.harness.figures import Figures

__all__ = ["run"]

UNCLAIMED = "PF017"
SECRET = {"secret": "only the lease holder's"}
HIDDEN_COLUMNS = ("output", "error_message", "input")


FORGED_COMPLETION = "select * from pgflow.complete_task(%s, 's', %s, 0, %s)"


def refused(
    ctx: Attack, figures: Figures, worker: Conn, run_id: UUID, what: str, query: str, params: Any
) -> None:
    """``query`` raises PF017 and leaves the run exactly as it was."""
    before = ctx.snapshot(run_id)
    _, error = attempt(worker, query, params)
    figures.faults += 1
    figures.tasks_checked += 1
    figures.check(
        error is not None and error.sqlstate == UNCLAIMED,
        f"unfenced completion: {what} gave "
        + (f"{error.sqlstate} {error.message!r}" if error else "no error")
        + f", expected {UNCLAIMED}",
    )
    figures.check(ctx.snapshot(run_id) == before, f"unfenced completion: {what} changed the run")


def only_status(figures: Figures, worker: Conn, what: str, query: str, params: Any) -> None:
    """The call succeeds and its row carries a status but no output, error or input."""
    cursor = worker.execute(query, params)
    names = [c.name for c in cursor.description or []]
    row = cursor.fetchone()
    figures.faults += 1
    figures.tasks_checked += 1
    if row is None:
        figures.check(False, f"{what} returned no row")
        return
    values = dict(zip(names, row, strict=True))
    leaked = {k: v for k, v in values.items() if k in HIDDEN_COLUMNS and v is not None}
    figures.check(not leaked, f"{what} returned more than the status: {leaked}")
    figures.check(values.get("status") is not None, f"{what} returned no status: {values}")


def claim(worker: Conn, flow: str, max_tasks: int = 1) -> list[tuple[Any, ...]]:
    return worker.execute(
        "select run_id, attempt from pgflow.claim_tasks(%s, %s, array[%s])",
        (uuid4(), max_tasks, flow),
    ).fetchall()


def run(ctx: Attack, figures: Figures) -> None:
    flow = ctx.flow(max_attempts=3, timeout=60)
    delayed = ctx.flow(delay_seconds=3600)
    with (
        ctx.connect_as(ctx.roles.client) as client,
        ctx.connect_as(ctx.roles.worker) as holder,
        ctx.connect_as(ctx.roles.worker) as other,
    ):
        claimed = ctx.start(client, flow)
        figures.check(claim(holder, flow) == [(claimed, 1)], "set-up: claim of attempt 1")
        queued = ctx.start(client, flow)
        waiting = ctx.start(client, delayed)

        for what, run_id, number in [
            ("complete_task(attempt => 7) with one claim made", claimed, 7),
            ("complete_task(attempt => 2) with one claim made", claimed, 2),
            ("complete_task(attempt => 1) of a queued task never claimed", queued, 1),
            ("complete_task(attempt => null) of a queued task never claimed", queued, None),
            ("complete_task(attempt => 1) of a delayed task", waiting, 1),
            ("complete_task(attempt => null) of a delayed task", waiting, None),
        ]:
            params = (run_id, Jsonb({"forged": True}), number)
            refused(ctx, figures, other, run_id, what, FORGED_COMPLETION, params)
        refused(
            ctx, figures, other, claimed, "fail_task(attempt => 7) with one claim made",
            "select * from pgflow.fail_task(%s, 's', 'forged', 0, 7)", (claimed,),
        )  # fmt: skip
        refused(
            ctx, figures, other, queued, "fail_task(attempt => 1) of a queued task",
            "select * from pgflow.fail_task(%s, 's', 'forged', 0, 1)", (queued,),
        )  # fmt: skip
        refused(
            ctx, figures, other, claimed,
            "complete_tasks of a claimed attempt and an unclaimed task (whole batch refused)",
            "select pgflow.complete_tasks(array[%s, %s]::uuid[], array['s', 's'],"
            " array['{}', '{}']::jsonb[], array[0, 0], array[1, 1])",
            (claimed, queued),
        )  # fmt: skip

        # the holder finishes; a late or foreign call learns only the status
        holder.execute("select pgflow.complete_task(%s, 's', %s, 0, 1)", (claimed, Jsonb(SECRET)))
        only_status(
            figures, other, "complete_task on a finished task",
            "select * from pgflow.complete_task(%s, 's', '{}', 0, 1)", (claimed,),
        )  # fmt: skip
        only_status(
            figures, other, "fail_task on a finished task",
            "select * from pgflow.fail_task(%s, 's', 'late', 0, 1)", (claimed,),
        )  # fmt: skip
        stale_attempt(ctx, figures, client, holder, other)


def stale_attempt(ctx: Attack, figures: Figures, client: Conn, holder: Conn, other: Conn) -> None:
    """Attempt 1's lease expired and attempt 2 holds the task: attempt 1's calls learn nothing."""
    flow = ctx.flow(max_attempts=3, timeout=1)
    run_id = ctx.start(client, flow, {"secret": "input"})
    claim(holder, flow)
    time.sleep(1.3)
    figures.check(claim(other, flow) == [(run_id, 2)], "set-up: re-claim as attempt 2")
    only_status(
        figures, holder, "fail_task of a stale attempt",
        "select * from pgflow.fail_task(%s, 's', 'stale', 0, 1)", (run_id,),
    )  # fmt: skip
    status = ctx.snapshot(run_id)["tasks"][0]
    figures.check(
        status["status"] == "started" and status["attempts_count"] == 2,
        f"a stale fail_task changed the task: {status}",
    )
