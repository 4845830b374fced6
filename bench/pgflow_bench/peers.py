"""Scenario 9: peers (pgqueuer, procrastinate) draining the same number of no-op jobs.

Each peer runs in its own subprocess (``python -m pgflow_bench.peers NAME URL JOBS``)
with its own worker, against its own database; the subprocess prints the
seconds its worker took to drain the jobs (enqueueing excluded). Peers whose
package is absent (the ``bench`` extra is not installed) are reported as
"not installed".
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
import time

from pgflow_bench.common import Context, subprocess_env

PEERS = ("pgqueuer", "procrastinate")
CONCURRENCY = 10
"""Matches the pgflow worker's default concurrency."""


async def _pgqueuer(url: str, jobs: int) -> float:
    # asyncpg, pgqueuer's primary driver: its psycopg driver drained the same
    # jobs 4 to 6 times slower here, which would flatter the comparison
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries, QueueManager
    from pgqueuer.domain.types import QueueExecutionMode
    from psycopg.conninfo import conninfo_to_dict

    # asyncpg reads URLs, not libpq keyword strings: pass the parts
    params = conninfo_to_dict(url)
    conn = await asyncpg.connect(
        host=params.get("host"),
        port=int(params.get("port") or 5432),
        user=params.get("user"),
        password=params.get("password"),
        database=params.get("dbname"),
    )
    queries = Queries(AsyncpgDriver(conn))
    await queries.install()
    await queries.enqueue(["noop"] * jobs, [None] * jobs, [0] * jobs)
    qm = QueueManager(queries)
    done = 0

    async def noop(_job: object) -> None:
        nonlocal done
        done += 1

    # Registered by call, not decorator: the peer's API is untyped to mypy.
    qm.entrypoint("noop")(noop)

    t0 = time.perf_counter()
    await qm.run(batch_size=CONCURRENCY, mode=QueueExecutionMode.drain)
    seconds = time.perf_counter() - t0
    await conn.close()
    if done != jobs:
        raise RuntimeError(f"pgqueuer ran {done} of {jobs} jobs")
    return seconds


async def _procrastinate(url: str, jobs: int) -> float:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    done = 0

    async def count() -> None:
        nonlocal done
        done += 1

    noop = app.task(name="noop")(count)

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        await noop.batch_defer_async(*([{}] * jobs))
        t0 = time.perf_counter()
        await app.run_worker_async(wait=False, concurrency=CONCURRENCY)
        seconds = time.perf_counter() - t0
    if done != jobs:
        raise RuntimeError(f"procrastinate ran {done} of {jobs} jobs")
    return seconds


def run(ctx: Context) -> None:
    jobs = ctx.sizes.peer_jobs
    ours = ctx.results.median("worker.p1.tasks_per_s")
    missing = []
    for name in PEERS:
        if importlib.util.find_spec(name) is None:
            missing.append(name)
            continue
        url = ctx.fresh_database(f"bench_peer_{name}")
        proc = subprocess.run(
            [sys.executable, "-m", "pgflow_bench.peers", name, url, str(jobs)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, **subprocess_env()},
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{proc.stderr[-2000:]}")
        seconds = float(proc.stdout.strip().splitlines()[-1])
        rate = jobs / seconds
        ctx.results.add(
            f"peers.{name}.tasks_per_s",
            rate,
            "jobs/s",
            f"{name}'s own worker, concurrency/batch {CONCURRENCY}, {jobs} no-op jobs",
            throughput=True,
        )
        if ours is not None:
            ctx.results.add(
                f"peers.{name}.pgflow_ratio",
                ours / rate,
                "x",
                "pgflow worker (1 process) tasks/s over this peer's jobs/s",
            )
    if missing:
        ctx.results.note(
            "peers", f"not installed: {', '.join(missing)} (pip install -e '.[bench]')"
        )
    if ours is None:
        ctx.results.note("peers", "run the 'worker' scenario too for the pgflow ratio")


def _main() -> None:
    name, url, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    function = {"pgqueuer": _pgqueuer, "procrastinate": _procrastinate}[name]
    print(asyncio.run(function(url, jobs)))


if __name__ == "__main__":
    _main()
