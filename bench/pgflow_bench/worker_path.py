"""Scenario 3: single-step runs drained by real ``pgflow worker`` processes (no-op handler)."""

from __future__ import annotations

import time

from pgflow.tools.testing import WorkerProcess
from pgflow_bench.common import Context, connect, deploy, percentile, start_runs, subprocess_env
from pgflow_bench.flows import BenchSingle

FLOW_REF = "pgflow_bench.flows:BenchSingle"
PROCESSES = (1, 4)


def drain_with_workers(ctx: Context, url: str, processes: int, runs: int) -> float:
    """Queue ``runs`` runs, start the workers, wait for every run; return tasks/s (server clock)."""
    start_runs(url, BenchSingle.slug, runs, timed=0)
    workers = [
        WorkerProcess(
            [FLOW_REF],
            url,
            options=["--poll-interval", "1"],
            env=subprocess_env(),
            log_level="warning",
        )
        for _ in range(processes)
    ]
    try:
        for w in workers:
            w.start(wait=False)
        deadline = time.monotonic() + 300
        with connect(url) as conn:
            while True:
                left = conn.execute(
                    "select count(*) from pgflow.runs where status = 'started'"
                ).fetchone()[0]  # type: ignore[index]
                if left == 0:
                    break
                for w in workers:
                    if w.poll() is not None:
                        raise RuntimeError(f"worker exited early:\n{w.log_text()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"worker path: {left} runs left after 300 s")
                time.sleep(0.05)
            first, last, n = conn.execute(
                "select min(started_at), max(completed_at), count(*) from pgflow.step_tasks"
                " where status = 'completed'"
            ).fetchone()  # type: ignore[misc]
            rows = conn.execute(
                """select extract(epoch from completed_at - queued_at) * 1000,
                          extract(epoch from completed_at - started_at) * 1000
                     from pgflow.step_tasks where status = 'completed'"""
            ).fetchall()
    finally:
        for w in workers:
            w.stop(timeout=30)
            w.close()
    seconds = (last - first).total_seconds()
    key = f"worker.p{processes}"
    ctx.results.add(
        f"{key}.tasks_per_s",
        n / seconds,
        "tasks/s",
        f"{processes} pgflow worker process(es), default concurrency, no-op handler "
        "(first claim to last completion)",
        throughput=True,
    )
    queued = [float(r[0]) for r in rows]
    held = [float(r[1]) for r in rows]
    for p in (50, 99):
        ctx.results.add(
            f"{key}.queued_to_completed_p{p}_ms",
            percentile(queued, p),
            "ms",
            "queued_at -> completed_at (includes waiting in the backlog)",
        )
        ctx.results.add(
            f"{key}.claimed_to_completed_p{p}_ms",
            percentile(held, p),
            "ms",
            "started_at (claim) -> completed_at: the worker's own overhead",
        )
    return float(n / seconds)


def run(ctx: Context) -> None:
    for processes in PROCESSES:
        url = ctx.fresh_database("bench_worker")
        deploy(url, BenchSingle)
        drain_with_workers(ctx, url, processes, ctx.sizes.worker_runs)
