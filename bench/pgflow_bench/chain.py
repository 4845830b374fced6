"""Scenario 6: a linear flow of many steps, several runs at once: per-step overhead."""

from __future__ import annotations

from pgflow_bench.common import Context, deploy, drain, start_runs
from pgflow_bench.flows import chain


def run(ctx: Context) -> None:
    steps, runs = ctx.sizes.chain_steps, ctx.sizes.chain_runs
    url = ctx.fresh_database("bench_chain")
    flow = chain(steps)
    deploy(url, flow)
    start_runs(url, flow.slug, runs, timed=0)
    total = steps * runs
    stats = drain(url, connections=1, total=total, batch=ctx.sizes.sql_batch, mode="batch")
    ctx.results.add(
        "chain.tasks_per_s",
        stats.tasks / stats.seconds,
        "tasks/s",
        f"{steps}-step linear flow x {runs} runs, 1 connection, batch API",
        throughput=True,
    )
    ctx.results.add(
        "chain.ms_per_task",
        1000 * stats.seconds / total,
        "ms",
        "drain time per step task (compare sql.batch.c1: the cost of a dependency hop)",
    )
    ctx.results.add(
        "chain.run_ms_per_step",
        1000 * stats.seconds / steps,
        "ms",
        f"time for each run to advance one step while {runs} runs progress together",
    )
