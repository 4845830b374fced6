"""Scenario: the cost of sealed secrets, and the bytes a finished run keeps.

The same single-step runs, whose handler reads and returns a 1 kB field,
drained by one ``pgflow worker`` process (with ``PGFLOW_KEYS`` set in both
cases), with the field in clear (``bench_plain_1k``) or declared secret in
the input and the output (``bench_secret_1k``): the worker opens the sealed
input and seals the output of every task.

Throughput on a shared machine drifts by more than the codec costs, so the
variants are interleaved in ABBA order (plain, sealed, sealed, plain, ...),
each drain in its own fresh database with the same worker settings, and the
ratio sealed / plain is taken per adjacent pair: ``payloads.sealed_over_plain``
has one sample per pair (its median and range are the figure; target >= 0.90).
The two databases and their (idle) workers of a pair are made ready first,
then the two drains run back to back, so the load the machine had during one
is the load it had during the other.

Two figures that DB noise does not move:

* ``payloads.codec_us_per_task``: the CPU the codec adds to one task, timed
  in this process over many iterations of exactly the worker's per-task
  payload path (decode the claimed input's JSON, open its envelopes, call
  the handler, seal its secret output, encode the output's JSON), sealed
  minus plain.  ``payloads.codec_cost_fraction`` is that time over the plain
  variant's time per task (1 / its median throughput): the share of
  throughput the codec can cost at most, if its CPU time were all on the
  critical path (target <= 0.10).
* ``payloads.<variant>.worker_cpu_us_per_task`` and ``server_cpu_us_per_task``:
  the CPU (user + system, from ``/proc``; the server's only when it runs on
  this machine) of the worker process and of the server's processes over the
  drain, per task; ``payloads.cpu_sealed_over_plain`` is their sum's ratio
  per pair.  On a machine whose cores the worker and the server share, it is
  about the inverse of the throughput ratio, and it moves far less.

Per finished run it also reports the stored bytes: the rows of the tables
under the views (run_rows, step_state_rows, step_tasks) and the one stored
copy of the output (step_tasks.output; the views derive the step's and the
run's when read).
"""

from __future__ import annotations

import base64
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import psycopg

from pgflow.define.dsl import Flow
from pgflow.jsonb import JsonValue, decode_json
from pgflow.payload import CodecContext, Payloads, Redactor
from pgflow.payload.crypto import EncryptionCodec
from pgflow.run.worker.executor import encode_output
from pgflow.tools.testing import WorkerProcess
from pgflow_bench.common import Context, connect, deploy, start_runs, subprocess_env
from pgflow_bench.flows import BenchPlain1k, BenchSecret1k, echo_token

TOKEN = os.urandom(512).hex()
"""1 kB that does not compress (a compressible one would hide the copies in TOAST)."""

PAIRS = 6
"""Adjacent (plain, sealed) drain pairs per run of the scenario, in ABBA order."""

VARIANTS: dict[str, Flow[Any]] = {"plain": BenchPlain1k, "sealed": BenchSecret1k}
FLOW_REFS = {
    "plain": "pgflow_bench.flows:BenchPlain1k",
    "sealed": "pgflow_bench.flows:BenchSecret1k",
}
WORKER_OPTIONS = ["--poll-interval", "1"]

CODEC_ROUNDS = 7
CODEC_ITERATIONS = 3_000


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of process ``pid`` (Linux ``/proc``), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command: state is field 3, utime 14 and stime 15 (1-based)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_processes(conn: psycopg.Connection[Any]) -> int | None:
    """The postmaster's pid when the server runs on this machine (its children are
    the backends and background processes), else None."""
    backend = conn.execute("select pg_backend_pid()").fetchone()[0]  # type: ignore[index]
    try:
        stat = Path(f"/proc/{backend}/stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if Path(f"/proc/{parent}/comm").read_text().strip() not in ("postgres", "postmaster"):
            return None
    except (OSError, IndexError, ValueError):
        return None
    return parent


def _server_cpu(postmaster: int) -> dict[int, float]:
    """CPU seconds of each live process of the server (the children of ``postmaster``)."""
    cpu: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == postmaster:
            cpu[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK"
            )
    return cpu


def _server_cpu_since(postmaster: int, before: dict[int, float]) -> float:
    """The CPU the server's processes alive now used since ``before`` (a process
    that exited in between is not counted, not even what it used before)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in _server_cpu(postmaster).items())


@dataclass(frozen=True)
class Drain:
    tasks_per_s: float
    cpu_us_per_task: float | None
    """Worker + server CPU per task (None when the server's processes are not visible)."""


class Bench:
    """One variant ready to drain: a fresh database, its flow, an idle worker."""

    def __init__(self, ctx: Context, variant: str, keys: str, payloads: Payloads) -> None:
        self.ctx = ctx
        self.variant = variant
        self.flow = flow = VARIANTS[variant]
        self.url = ctx.fresh_database(f"bench_{flow.slug}")
        deploy(self.url, flow)
        self.run_input = json.dumps(
            payloads.seal_input(flow.slug, flow.secret_input, {"token": TOKEN})
        )
        self.worker = WorkerProcess(
            [FLOW_REFS[variant]],
            self.url,
            options=WORKER_OPTIONS,
            env={**subprocess_env(), "PGFLOW_KEYS": keys},
            log_level="warning",
        )
        self.conn: psycopg.Connection[Any] | None = None

    def start(self) -> None:
        self.worker.start(wait=True)
        self.conn = connect(self.url)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.worker.process is not None:
            self.worker.stop(timeout=30)
        self.worker.close()

    def drain(self) -> Drain:
        """Start ``worker_runs`` runs, wait until they are done, record the figures."""
        conn, worker, flow, variant = self.conn, self.worker, self.flow, self.variant
        assert conn is not None
        runs = self.ctx.sizes.worker_runs
        # the worker is ready (and idle) before the runs exist, so its CPU
        # counted from here is the drain's; the server's is counted once the
        # runs are started (start_flow is not part of the drain)
        postmaster = _server_processes(conn)
        cpu0 = _cpu_seconds(worker.pid)
        start_runs(self.url, flow.slug, runs, self.run_input, timed=0)
        server0 = _server_cpu(postmaster) if postmaster else None
        deadline = time.monotonic() + 300
        while conn.execute("select count(*) from pgflow.runs where status = 'started'").fetchone()[
            0
        ]:  # type: ignore[index]
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{worker.log_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError("payloads: runs left after 300 s")
            time.sleep(0.01)
        cpu1 = _cpu_seconds(worker.pid)
        server = (
            _server_cpu_since(postmaster, server0)
            if postmaster is not None and server0 is not None
            else None
        )
        failed = conn.execute(
            "select count(*) from pgflow.runs where status <> 'completed'"
        ).fetchone()[0]  # type: ignore[index]
        if failed:
            raise RuntimeError(f"payloads: {failed} runs did not complete")
        first, last, n = conn.execute(
            "select min(started_at), max(completed_at), count(*) from pgflow.step_tasks"
        ).fetchone()  # type: ignore[misc]
        sizes = conn.execute(
            # the stored rows: the tables under the views, whose outputs are derived
            """select (select sum(pg_column_size(r.*)) from pgflow.run_rows as r),
                      (select sum(pg_column_size(s.*)) from pgflow.step_state_rows as s),
                      (select sum(pg_column_size(t.*)) from pgflow.step_tasks as t),
                      (select coalesce(sum(pg_column_size(t.output)), 0)
                         from pgflow.step_tasks as t),
                      (select count(*) from pgflow.run_rows)"""
        ).fetchone()
        assert sizes is not None
        finished = float(sizes[4])
        field = "sealed in input and output" if flow.secret_input else "in clear"
        rate = float(n / (last - first).total_seconds())
        add = self.ctx.results.add
        add(
            f"payloads.{variant}.tasks_per_s",
            rate,
            "tasks/s",
            f"1 worker, a 1 kB field {field} ({runs} runs per drain)",
            throughput=True,
        )
        cpu = None
        if cpu0 is not None and cpu1 is not None:
            add(
                f"payloads.{variant}.worker_cpu_us_per_task",
                (cpu1 - cpu0) / n * 1e6,
                "us",
                "the worker process's CPU (user + system) over its drain, per task",
            )
            if server is not None:
                add(
                    f"payloads.{variant}.server_cpu_us_per_task",
                    server / n * 1e6,
                    "us",
                    "the server's CPU (its live processes, user + system) over the drain "
                    "(start_flow excluded), per task",
                )
                cpu = (cpu1 - cpu0 + server) / n * 1e6
        add(
            f"payloads.{variant}.row_bytes_per_run",
            (float(sizes[0]) + float(sizes[1]) + float(sizes[2])) / finished,
            "bytes",
            "stored row bytes of run_rows + step_state_rows + step_tasks per finished run",
        )
        add(
            f"payloads.{variant}.output_bytes_per_run",
            float(sizes[3]) / finished,
            "bytes",
            "stored output bytes per finished run (step_tasks.output, the one copy)",
        )
        return Drain(rate, cpu)


def task_path(flow: Flow[Any], payloads: Payloads) -> Callable[[], str]:
    """One task's payload work in the worker, as a function to time.

    What ``HandlerExecutor`` does around the handler for a claimed task of
    ``flow`` (its ``_open_input`` and ``_seal_output``), with the JSON
    decoding of the claimed input (``decode_json``, the claimer's loader)
    and the encoding of the output (``encode_output``) that both variants
    pay, but the sealed one on bigger texts.
    """
    (step,) = flow.steps
    run_input = payloads.seal_input(flow.slug, flow.secret_input, {"token": TOKEN})
    # the claimed input as claim_tasks returns it: {"run": <run input>}
    claimed_text = json.dumps({"run": run_input}).encode()
    context = CodecContext(flow.slug, step.slug, "input")
    secret_output = step.secret_output

    def one_task() -> str:
        redactor = Redactor()
        task_input = cast(JsonValue, decode_json(claimed_text))
        opened = payloads.open(task_input, context, reveal=redactor.add)
        result = cast(JsonValue, echo_token(*step.arguments(opened)))
        if secret_output or payloads.outputs is not None:
            result = payloads.seal_output(flow.slug, step.slug, secret_output, result, redactor.add)
        return encode_output(result)

    return one_task


def codec_cost(ctx: Context, payloads: Payloads, plain_rate: float | None) -> None:
    """Time the per-task payload path of both variants, interleaved, in this process."""
    paths = {variant: task_path(flow, payloads) for variant, flow in VARIANTS.items()}
    if decode_json(paths["sealed"]()) == decode_json(paths["plain"]()):
        raise RuntimeError("payloads: the sealed variant's output is not sealed")
    per_task: dict[str, list[float]] = {variant: [] for variant in paths}
    for _ in range(CODEC_ROUNDS):
        for variant, one_task in paths.items():
            for _ in range(CODEC_ITERATIONS // 10):  # warm up
                one_task()
            t0 = time.process_time_ns()
            for _ in range(CODEC_ITERATIONS):
                one_task()
            per_task[variant].append((time.process_time_ns() - t0) / CODEC_ITERATIONS / 1e3)
    plain = statistics.median(per_task["plain"])
    sealed = statistics.median(per_task["sealed"])
    pairs = zip(per_task["sealed"], per_task["plain"], strict=True)
    extra = statistics.median(s - p for s, p in pairs)
    ctx.results.add(
        "payloads.codec.plain_path_us_per_task",
        plain,
        "us",
        "CPU of the worker's per-task payload path, 1 kB field in clear (in-process)",
    )
    ctx.results.add(
        "payloads.codec.sealed_path_us_per_task",
        sealed,
        "us",
        "the same, the field sealed: open the input's envelope, seal the output's",
    )
    ctx.results.add(
        "payloads.codec_us_per_task",
        extra,
        "us",
        "CPU the codec adds per task: sealed path - plain path (median of rounds)",
    )
    if plain_rate:
        ctx.results.add(
            "payloads.codec_cost_fraction",
            extra / (1e6 / plain_rate),
            "fraction",
            "codec CPU per task / the plain drain's time per task (target <= 0.10)",
        )


def _pair(ctx: Context, order: tuple[str, str], keys: str, payloads: Payloads) -> dict[str, Drain]:
    """Both variants ready (fresh databases, idle workers), then drained back to back."""
    benches = [Bench(ctx, variant, keys, payloads) for variant in order]
    try:
        for bench in benches:
            bench.start()
        return {bench.variant: bench.drain() for bench in benches}
    finally:
        for bench in benches:
            bench.close()


def run(ctx: Context) -> None:
    keys = f"bench:{base64.b64encode(os.urandom(32)).decode()}"
    payloads = Payloads(secrets=EncryptionCodec.from_env_text(keys))
    plain_rates: list[float] = []
    for pair in range(PAIRS):
        order = ("plain", "sealed") if pair % 2 == 0 else ("sealed", "plain")
        drains = _pair(ctx, order, keys, payloads)
        plain, sealed = drains["plain"], drains["sealed"]
        plain_rates.append(plain.tasks_per_s)
        ctx.results.add(
            "payloads.sealed_over_plain",
            sealed.tasks_per_s / plain.tasks_per_s,
            "x",
            "sealed / clear throughput, one sample per adjacent ABBA pair (target >= 0.90)",
        )
        if sealed.cpu_us_per_task is not None and plain.cpu_us_per_task:
            ctx.results.add(
                "payloads.cpu_sealed_over_plain",
                sealed.cpu_us_per_task / plain.cpu_us_per_task,
                "x",
                "worker + server CPU per task, sealed / clear, one sample per pair",
            )
    ctx.results.note(
        "payloads",
        f"{PAIRS} ABBA pairs per repeat of back-to-back {ctx.sizes.worker_runs}-run drains, "
        "the spread of the ratios is over the pairs",
    )
    codec_cost(ctx, payloads, statistics.median(plain_rates))
