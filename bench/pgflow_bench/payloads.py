"""Scenario: the cost of sealed secrets, and the bytes a finished run keeps.

The same single-step runs, whose handler reads and returns a 1 kB field,
drained by one ``pgflow worker`` process (with ``PGFLOW_KEYS`` set in both
cases), once with the field in clear (``bench_plain_1k``) and once declared
secret in the input and the output (``bench_secret_1k``): the worker opens
the sealed input and seals the output for every task.  Figures: tasks/s of
each, their ratio (target >= 0.90), and per finished run the bytes of the
rows of runs, step_states and step_tasks, and of the output column of each
(the same 1 kB output is held by the task, the step and the run).
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from pgflow.define.dsl import Flow
from pgflow.payload import Payloads
from pgflow.payload.crypto import EncryptionCodec
from pgflow.tools.testing import WorkerProcess
from pgflow_bench.common import Context, connect, deploy, start_runs, subprocess_env
from pgflow_bench.flows import BenchPlain1k, BenchSecret1k

TOKEN = os.urandom(512).hex()
"""1 kB that does not compress (a compressible one would hide the copies in TOAST)."""


def drain(ctx: Context, flow: Flow[Any], keys: str, payloads: Payloads) -> float:
    url = ctx.fresh_database(f"bench_{flow.slug}")
    deploy(url, flow)
    run_input = payloads.seal_input(flow.slug, flow.secret_input, {"token": TOKEN})
    start_runs(url, flow.slug, ctx.sizes.worker_runs, json.dumps(run_input), timed=0)
    worker = WorkerProcess(
        [f"pgflow_bench.flows:{'BenchSecret1k' if flow.secret_input else 'BenchPlain1k'}"],
        url,
        options=["--poll-interval", "1"],
        env={**subprocess_env(), "PGFLOW_KEYS": keys},
        log_level="warning",
    )
    try:
        worker.start(wait=False)
        deadline = time.monotonic() + 300
        with connect(url) as conn:
            while conn.execute(
                "select count(*) from pgflow.runs where status = 'started'"
            ).fetchone()[0]:  # type: ignore[index]
                if worker.poll() is not None:
                    raise RuntimeError(f"worker exited early:\n{worker.log_text()}")
                if time.monotonic() > deadline:
                    raise TimeoutError("payloads: runs left after 300 s")
                time.sleep(0.05)
            failed = conn.execute(
                "select count(*) from pgflow.runs where status <> 'completed'"
            ).fetchone()[0]  # type: ignore[index]
            if failed:
                raise RuntimeError(f"payloads: {failed} runs did not complete")
            first, last, n = conn.execute(
                "select min(started_at), max(completed_at), count(*) from pgflow.step_tasks"
            ).fetchone()  # type: ignore[misc]
            sizes = conn.execute(
                """select (select sum(pg_column_size(r.*)) from pgflow.runs as r),
                          (select sum(pg_column_size(s.*)) from pgflow.step_states as s),
                          (select sum(pg_column_size(t.*)) from pgflow.step_tasks as t),
                          (select sum(pg_column_size(r.output)) from pgflow.runs as r),
                          (select sum(pg_column_size(s.output)) from pgflow.step_states as s),
                          (select coalesce(sum(pg_column_size(t.output)), 0)
                             from pgflow.step_tasks as t),
                          (select count(*) from pgflow.runs)"""
            ).fetchone()
    finally:
        worker.stop(timeout=30)
        worker.close()
    assert sizes is not None
    runs = float(sizes[6])
    variant = "sealed" if flow.secret_input else "plain"
    field = "sealed in input and output" if flow.secret_input else "in clear"
    rate = n / (last - first).total_seconds()
    ctx.results.add(
        f"payloads.{variant}.tasks_per_s",
        rate,
        "tasks/s",
        f"1 worker, a 1 kB field {field}",
        throughput=True,
    )
    ctx.results.add(
        f"payloads.{variant}.row_bytes_per_run",
        (float(sizes[0]) + float(sizes[1]) + float(sizes[2])) / runs,
        "bytes",
        "live row bytes of runs + step_states + step_tasks per finished run",
    )
    ctx.results.add(
        f"payloads.{variant}.output_bytes_per_run",
        (float(sizes[3]) + float(sizes[4]) + float(sizes[5])) / runs,
        "bytes",
        "bytes of the output columns (run + step + task) per finished run",
    )
    ctx.results.add(
        f"payloads.{variant}.task_output_bytes_per_run",
        float(sizes[5]) / runs,
        "bytes",
        "bytes of step_tasks.output per finished run",
    )
    return float(rate)


def run(ctx: Context) -> None:
    keys = f"bench:{base64.b64encode(os.urandom(32)).decode()}"
    codec = Payloads(secrets=EncryptionCodec.from_env_text(keys))
    plain = drain(ctx, BenchPlain1k, keys, codec)
    sealed = drain(ctx, BenchSecret1k, keys, codec)
    ctx.results.add(
        "payloads.sealed_over_plain",
        sealed / plain,
        "ratio",
        "sealed 1 kB field throughput / clear (target >= 0.90)",
    )
