"""Scenario 4: an idle ``pgflow worker``; start_flow -> first claim, -> run completed (NOTIFY)."""

from __future__ import annotations

import time

from pgflow.tools.testing import WorkerProcess
from pgflow_bench.common import Context, connect, deploy, percentile, subprocess_env
from pgflow_bench.flows import BenchSingle

FLOW_REF = "pgflow_bench.flows:BenchSingle"


def run(ctx: Context) -> None:
    url = ctx.fresh_database("bench_wakeup")
    deploy(url, BenchSingle)
    claim_ms: list[float] = []
    done_ms: list[float] = []
    # A long poll interval: every wake-up must come from NOTIFY, not the fallback poll.
    with (
        WorkerProcess(
            [FLOW_REF],
            url,
            options=["--poll-interval", "60"],
            env=subprocess_env(),
            log_level="warning",
        ),
        connect(url) as conn,
    ):
        conn.execute("listen pgflow_runs")
        time.sleep(0.5)  # let the worker's first claim find nothing and go idle
        for _ in range(ctx.sizes.wakeup_runs):
            run_id = conn.execute(
                "select run_id from pgflow.start_flow('bench_single', '{}'::jsonb)"
            ).fetchone()[0]  # type: ignore[index]
            status = None
            for note in conn.notifies(timeout=10):
                if str(run_id) in note.payload:
                    status = "finished"
                    break
            if status is None:
                raise TimeoutError(f"wakeup: run {run_id} did not finish within 10 s")
            row = conn.execute(
                """select extract(epoch from t.started_at - r.started_at) * 1000,
                          extract(epoch from r.completed_at - r.started_at) * 1000
                     from pgflow.runs r join pgflow.step_tasks t using (run_id)
                    where r.run_id = %s""",
                (run_id,),
            ).fetchone()
            if row is None or row[1] is None:
                raise RuntimeError(f"wakeup: run {run_id} finished but is not completed")
            claim_ms.append(float(row[0]))
            done_ms.append(float(row[1]))
            time.sleep(0.01)  # the worker is idle again before the next start
    n = len(done_ms)
    for label, values in (("claim", claim_ms), ("completed", done_ms)):
        what = "first claim" if label == "claim" else "run completed"
        for p in (50, 99):
            ctx.results.add(
                f"wakeup.{label}_p{p}_ms",
                percentile(values, p),
                "ms",
                f"start_flow -> {what}, p{p} over {n} runs (server clock)",
            )
