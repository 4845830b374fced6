"""Scenario: what keeping long tasks' leases costs the tasks around them.

One ``pgflow worker`` process serves two flows: ``bench_single`` (a no-op
handler) and ``bench_long`` (a handler that sleeps, on a 1 s lease, so the
worker renews its lease with ``extend_leases`` about three times a second).
The same no-op backlog is drained twice in fresh databases: once alone, once
while ``LONG_TASKS`` long handlers run for the whole drain. The worker's
concurrency is larger by ``LONG_TASKS`` in the second drain, so the no-op
work has the same free slots both times; the ratio of the two throughputs is
the overhead of the lease extensions (and of the long handlers' threads).
"""

from __future__ import annotations

import json
import time

from pgflow.tools.testing import WorkerProcess
from pgflow_bench.common import Context, connect, deploy, start_runs, subprocess_env
from pgflow_bench.flows import BenchLong, BenchSingle

FLOW_REFS = ["pgflow_bench.flows:BenchSingle", "pgflow_bench.flows:BenchLong"]
LONG_TASKS = 10
SLOTS = 10  # the worker's default concurrency, left for the no-op tasks


def _drain(ctx: Context, url: str, runs: int, long_tasks: int) -> float:
    """Queue the long runs (if any) and ``runs`` no-op runs; return no-op tasks/s."""
    worker = WorkerProcess(
        FLOW_REFS,
        url,
        options=["--poll-interval", "1", "--concurrency", str(SLOTS + long_tasks)],
        env=subprocess_env(),
        log_level="warning",
    )
    try:
        if long_tasks:
            # long enough to outlast the drain; cancelled once it is over
            start_runs(url, BenchLong.slug, long_tasks, json.dumps({"seconds": 600}), timed=0)
        worker.start(wait=False)
        if long_tasks:
            _wait_for(
                url,
                "select count(*) from pgflow.step_tasks"
                " where flow_slug = 'bench_long' and status = 'started'",
                long_tasks,
            )
        start_runs(url, BenchSingle.slug, runs, timed=0)
        _wait_for(
            url,
            "select count(*) from pgflow.runs"
            " where flow_slug = 'bench_single' and status = 'completed'",
            runs,
        )
        with connect(url) as conn:
            first, last, n, extended = conn.execute(
                """select min(t.started_at), max(t.completed_at), count(*),
                          (select count(*) from pgflow.step_tasks as l
                            where l.flow_slug = 'bench_long' and l.status = 'started'
                              and l.attempts_count = 1)
                     from pgflow.step_tasks as t
                    where t.flow_slug = 'bench_single' and t.status = 'completed'"""
            ).fetchone()  # type: ignore[misc]
            # every long task kept its first attempt: its lease was extended throughout
            if extended != long_tasks:
                raise RuntimeError(f"leases: {long_tasks - extended} long task(s) lost their lease")
            conn.execute(
                "select pgflow.cancel_run(run_id) from pgflow.runs"
                " where flow_slug = 'bench_long' and status = 'started'"
            )
    finally:
        worker.stop(timeout=60)
        worker.close()
    return float(n / (last - first).total_seconds())


def _wait_for(url: str, query: str, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    with connect(url) as conn:
        while conn.execute(query).fetchone()[0] < count:  # type: ignore[index]
            if time.monotonic() > deadline:
                raise TimeoutError(f"leases: waited {timeout} s for {count} rows of {query!r}")
            time.sleep(0.05)


def run(ctx: Context) -> None:
    runs = ctx.sizes.worker_runs
    url = ctx.fresh_database("bench_leases_alone")
    deploy(url, BenchSingle)
    deploy(url, BenchLong)
    alone = _drain(ctx, url, runs, 0)
    url = ctx.fresh_database("bench_leases_beside")
    deploy(url, BenchSingle)
    deploy(url, BenchLong)
    beside = _drain(ctx, url, runs, LONG_TASKS)
    ctx.results.add(
        "leases.alone.tasks_per_s",
        alone,
        "tasks/s",
        f"1 worker, {SLOTS} slots, no-op handler, no long tasks",
        throughput=True,
    )
    ctx.results.add(
        "leases.beside_long.tasks_per_s",
        beside,
        "tasks/s",
        f"the same, while {LONG_TASKS} long handlers on 1 s leases are extended throughout",
        throughput=True,
    )
    ctx.results.add(
        "leases.ratio",
        beside / alone,
        "x",
        "no-op throughput beside long handlers / alone (1.0 = extension costs nothing)",
    )
