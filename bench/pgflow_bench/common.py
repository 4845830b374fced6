"""Shared pieces: a fresh database per scenario, flow deployment, the SQL drain loop."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from pgflow.define.deploy import deploy_flow
from pgflow.define.dsl import Flow
from pgflow.tools.scratch import create_database, drop_database
from pgflow_bench.report import Results

__all__ = [
    "Context",
    "DrainStats",
    "Sizes",
    "connect",
    "deploy",
    "drain",
    "percentile",
    "subprocess_env",
]

# bench/: the harness is not installed, so subprocesses (workers loading
# ``pgflow_bench.flows:...``, the peers) get it on their PYTHONPATH.
BENCH_DIR = Path(__file__).resolve().parents[1]


def subprocess_env() -> dict[str, str]:
    """Environment overrides that make ``pgflow_bench`` importable in a subprocess."""
    paths = [str(BENCH_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


@dataclass(frozen=True)
class Sizes:
    floor_seconds: float
    floor_rows: int
    sql_runs: int
    sql_batch: int
    worker_runs: int
    wakeup_runs: int
    fanout_elements: int
    chain_steps: int
    chain_runs: int
    def_sizes: tuple[int, ...]
    growth_tasks: int
    peer_jobs: int


QUICK = Sizes(
    floor_seconds=3,
    floor_rows=100_000,
    sql_runs=400,
    sql_batch=10,
    worker_runs=1_000,
    wakeup_runs=30,
    fanout_elements=5_000,
    chain_steps=10,
    chain_runs=10,
    def_sizes=(100, 300, 1_000),
    growth_tasks=20_000,
    peer_jobs=1_000,  # = worker_runs: the same number of jobs
)
FULL = Sizes(
    floor_seconds=10,
    floor_rows=300_000,
    sql_runs=5_000,
    sql_batch=10,
    worker_runs=5_000,
    wakeup_runs=200,
    fanout_elements=50_000,
    chain_steps=50,
    chain_runs=50,
    def_sizes=(100, 1_000, 5_000),
    growth_tasks=1_000_000,
    peer_jobs=5_000,
)


@dataclass
class Context:
    """The server (from DATABASE_URL), the sizes and the results being collected."""

    url: str
    sizes: Sizes
    results: Results
    databases: list[str] = field(default_factory=list)

    def fresh_database(self, name: str) -> str:
        """Drop and create database ``name`` with the pgflow extension; return its URL."""
        url = create_database(self.url, name, replace=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create extension pgflow")
        if name not in self.databases:
            self.databases.append(name)
        return url

    def drop_databases(self) -> None:
        for name in self.databases:
            drop_database(self.url, name)
        self.databases.clear()


def connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)


def deploy(url: str, flow: Flow[Any]) -> None:
    with connect(url) as conn:
        deploy_flow(conn, flow)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def start_runs(
    url: str, flow_slug: str, count: int, run_input: str = "{}", *, timed: int | None = None
) -> float:
    """Start ``count`` runs; return start_flow calls per second.

    The first ``timed`` runs (default all) are started one statement (one
    commit) at a time and timed; the rest in one statement, untimed, so a
    slow disk does not make preparing a drain take longer than the drain.
    """
    timed = count if timed is None else min(timed, count)
    with connect(url) as conn:
        cur = conn.cursor()
        t0 = time.perf_counter()
        for _ in range(timed):
            cur.execute("select 1 from pgflow.start_flow(%s, %s::jsonb)", (flow_slug, run_input))
        seconds = time.perf_counter() - t0
        if count > timed:
            cur.execute(
                "select count(pgflow.start_flow(%s, %s::jsonb)) from generate_series(1, %s)",
                (flow_slug, run_input, count - timed),
            )
        return timed / seconds if timed else float("nan")


@dataclass
class DrainStats:
    tasks: int
    seconds: float
    sql_seconds: float
    """Time spent inside claim/complete calls, summed over connections."""


def drain(
    url: str,
    *,
    connections: int,
    total: int,
    batch: int,
    mode: str,
    timeout: float = 600.0,
) -> DrainStats:
    """Claim and complete ``total`` tasks with ``connections`` threads (one connection each).

    ``mode`` is ``"single"`` (one ``complete_task`` per task) or ``"batch"``
    (one ``complete_tasks`` per claimed batch).  Threads stop once ``total``
    tasks were claimed between them; a claim that finds nothing (tasks of a
    chain not visible yet) is retried.
    """
    lock = threading.Lock()
    state = {"claimed": 0, "done": 0, "sql": 0.0}
    errors: list[BaseException] = []
    barrier = threading.Barrier(connections + 1)
    deadline_holder = {"deadline": time.monotonic() + timeout}

    def worker() -> None:
        wid = uuid.uuid4()
        sql_time = 0.0
        done = 0
        try:
            with connect(url) as conn:
                cur = conn.cursor()
                cur.execute("select 1")
                barrier.wait()
                while True:
                    with lock:
                        want = min(batch, total - state["claimed"])
                        if want <= 0:
                            break
                        state["claimed"] += want  # reserve; give back what was not claimed
                    t0 = time.perf_counter()
                    cur.execute(
                        CLAIM,
                        (wid, want),
                    )
                    rows = cur.fetchall()
                    if len(rows) < want:
                        with lock:
                            state["claimed"] -= want - len(rows)
                    if rows:
                        if mode == "single":
                            for run_id, step_slug, task_index, attempt in rows:
                                cur.execute(
                                    COMPLETE,
                                    (run_id, step_slug, task_index, attempt),
                                )
                        else:
                            cur.execute(
                                COMPLETE_MANY,
                                (
                                    [r[0] for r in rows],
                                    [r[1] for r in rows],
                                    ["{}"] * len(rows),
                                    [r[2] for r in rows],
                                    [r[3] for r in rows],
                                ),
                            )
                        done += len(rows)
                    sql_time += time.perf_counter() - t0
                    if not rows:
                        if time.monotonic() > deadline_holder["deadline"]:
                            raise TimeoutError(
                                f"drain: only {state['claimed']} of {total} tasks claimed"
                            )
                        time.sleep(0.0005)
        except BaseException as error:
            errors.append(error)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.abort()
        finally:
            with lock:
                state["sql"] += sql_time
                state["done"] += done

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return DrainStats(tasks=int(state["done"]), seconds=elapsed, sql_seconds=float(state["sql"]))


CLAIM = "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, %s)"
COMPLETE = "select 1 from pgflow.complete_task(%s, %s, '{}'::jsonb, %s, %s)"
COMPLETE_MANY = (
    "select pgflow.complete_tasks(%s::uuid[], %s::text[], %s::jsonb[], %s::int[], %s::int[])"
)


def noop(_input: Any) -> dict[str, Any]:
    return {}
