"""Attack (e): a poison payload must not kill workers.

A run input nested 2,000 levels deep is valid jsonb but too deep for
Python's JSON decoder. A worker claiming it must fail that task with an
error naming the cause (not a misleading "lease expired"), stay alive and
keep serving other runs; ``Client.get_run`` on that run must not raise.
"""

from __future__ import annotations

import time
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb
from tests.chaos import flows
from tests.chaos.attacks.context import Attack
from tests.chaos.harness.db import connect
from tests.chaos.harness.figures import Figures
from tests.chaos.harness.workers import WorkerPool

from pgflow import Client, deploy_flow

__all__ = ["run"]

DEPTH = 2_000
HEALTHY_RUNS = 5
DEADLINE = 40.0


def poison() -> str:
    return '{"a": ' * DEPTH + "1" + "}" * DEPTH


def run(ctx: Attack, figures: Figures) -> None:
    deploy_flow(ctx.admin, flows.Poison)
    pool = WorkerPool(
        ["Poison"],
        ctx.roles.url(ctx.url, ctx.roles.worker),
        ["--concurrency", "2", "--poll-interval", "1"],
        admin_url=ctx.url,
    )
    try:
        pool.start(1)
        worker = pool.processes[0]
        client_url = ctx.roles.url(ctx.url, ctx.roles.client)
        with connect(client_url) as client:
            poisoned = uuid4()
            client.execute(
                "select pgflow.start_flow('chaos_poison', %s::text::jsonb, %s)",
                (poison(), poisoned),
            )
            figures.faults += 1
            time.sleep(1.0)
            healthy: list[UUID] = []
            for n in range(HEALTHY_RUNS):
                healthy.append(uuid4())
                client.execute(
                    "select pgflow.start_flow('chaos_poison', %s, %s)",
                    (Jsonb({"n": n}), healthy[-1]),
                )
        statuses = wait_all(ctx, [poisoned, *healthy])
        figures.tasks_checked += 1 + HEALTHY_RUNS
        figures.check(worker.poll() is None, f"poison payload: the worker died: {tail(pool)}")
        figures.check(
            all(statuses[r][0] == "completed" for r in healthy),
            "poison payload: other runs did not complete: "
            + ", ".join(f"{statuses[r][0]}" for r in healthy),
        )
        status, error = statuses[poisoned]
        figures.check(
            status == "failed" and "lease expired" not in (error or ""),
            f"poison payload: the poisoned run is {status} with error {error!r} "
            "(expected failed, naming the cause)",
        )
        with Client(client_url) as client_api:
            try:
                client_api.get_run(poisoned)
                figures.checks_passed += 1
            except Exception as problem:
                figures.check(False, f"poison payload: Client.get_run raised {problem!r}"[:400])
        figures.unexpected_errors.extend(pool.log_problems(r"crashed|\bCRITICAL\b"))
    finally:
        pool.stop_all()
        pool.close()


def wait_all(ctx: Attack, run_ids: list[UUID]) -> dict[UUID, tuple[str, str | None]]:
    deadline = time.monotonic() + DEADLINE
    while True:
        rows = ctx.admin.execute(
            "select run_id, status, error_message from pgflow.runs where run_id = any(%s)",
            (run_ids,),
        ).fetchall()
        statuses = {row[0]: (row[1], row[2]) for row in rows}
        if all(s != "started" for s, _ in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def tail(pool: WorkerPool) -> str:
    text = pool.processes[0].log_text().strip().splitlines()
    return " | ".join(text[-4:])[-600:]
