"""Scenario 2 (and 8's measurement): single-step runs drained over plain SQL."""

from __future__ import annotations

from pgflow_bench.common import Context, deploy, drain, start_runs
from pgflow_bench.flows import BenchSingle

CONNECTIONS = (1, 2, 4)
MODES = ("single", "batch")
WARMUP = 100


def measure(
    ctx: Context, url: str, prefix: str, connections: tuple[int, ...] = CONNECTIONS
) -> None:
    n = ctx.sizes.sql_runs
    # Warm-up, untimed: plan caches of the PL/pgSQL functions, buffers, the first WAL segment.
    start_runs(url, BenchSingle.slug, WARMUP, timed=0)
    for mode in MODES:
        drain(url, connections=1, total=WARMUP // 2, batch=ctx.sizes.sql_batch, mode=mode)
    for mode in MODES:
        for conns in connections:
            rate = start_runs(url, BenchSingle.slug, n, timed=min(n, 100))
            ctx.results.add(
                f"{prefix}.start_flow_per_s",
                rate,
                "runs/s",
                "start_flow calls per second, one connection",
                throughput=True,
            )
            stats = drain(url, connections=conns, total=n, batch=ctx.sizes.sql_batch, mode=mode)
            call = "complete_task per task" if mode == "single" else "complete_tasks per batch"
            ctx.results.add(
                f"{prefix}.{mode}.c{conns}.tasks_per_s",
                stats.tasks / stats.seconds,
                "tasks/s",
                f"claim_tasks({ctx.sizes.sql_batch}) + {call}, {conns} connection(s)",
                throughput=True,
            )
            ctx.results.add(
                f"{prefix}.{mode}.c{conns}.sql_ms_per_task",
                1000 * stats.sql_seconds / stats.tasks,
                "ms",
                "mean time in SQL calls per task (summed over connections)",
            )


def run(ctx: Context) -> None:
    url = ctx.fresh_database("bench_sql")
    deploy(url, BenchSingle)
    measure(ctx, url, "sql")
