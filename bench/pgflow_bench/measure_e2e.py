#!/usr/bin/env python3
"""End-to-end figures: runs/s and tasks/s with 1 and 4 worker processes, and latency.

    scripts/with-postgres.sh .venv/bin/python bench/pgflow_bench/measure_e2e.py \
        [--runs N] [--samples N]

Everything is real: ``pgflow worker`` subprocesses, a client starting runs,
PostgreSQL doing the bookkeeping.  Handlers do nothing, so the figures are
the engine's overhead (claim, complete, state transitions, notifications),
not work.  Times come from the database's own timestamps:

* start-to-first-claim: ``step_tasks.started_at`` of the root task minus
  ``runs.started_at``, for runs started one at a time on idle workers;
* run latency: ``runs.completed_at - runs.started_at`` for the same runs;
* throughput: N runs started as fast as one client can, divided by the time
  from the first run's start to the last run's completion.

This file is also the FLOW_REF of the flows it measures
(``bench/pgflow_bench/measure_e2e.py:Single`` and ``:Diamond``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from pgflow import Client, Flow, deploy_flow, install
from pgflow.define.install import installed_state
from pgflow.tools.scratch import scratch_database
from pgflow.tools.testing import WorkerProcess

Single = Flow("measure_single", timeout=60)
Single.add_step("only", lambda run: None)

Diamond = Flow("measure_diamond", timeout=60)
Diamond.add_step("a", lambda run: 1)
Diamond.add_step("b", lambda run, a: a + 1, depends_on=["a"])
Diamond.add_step("c", lambda run, a: a + 2, depends_on=["a"])
Diamond.add_step("d", lambda run, b, c: b + c, depends_on=["b", "c"])

HERE = Path(__file__).resolve()


@contextmanager
def prepared_database(url: str) -> Iterator[str]:
    """A scratch database with pgflow installed and both flows deployed."""
    with scratch_database(url, prefix="pgflow_measure") as database:
        with psycopg.connect(database.url, autocommit=True) as conn:
            state = installed_state(conn)
            install(conn, mode="extension" if state.available else "plain")
            deploy_flow(conn, Single)
            deploy_flow(conn, Diamond)
        yield database.url


@contextmanager
def workers(url: str, count: int, options: Sequence[str]) -> Iterator[list[WorkerProcess]]:
    refs = [f"{HERE}:Single", f"{HERE}:Diamond"]
    procs = [WorkerProcess(refs, url, options=options, log_level="warning") for _ in range(count)]
    try:
        for proc in procs:
            proc.start(wait=False)
        for proc in procs:
            proc.wait_registered()
        yield procs
    finally:
        for proc in procs:
            proc.stop()
            proc.close()


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pgflow.prune_runs('0 seconds'::interval)")


def ms(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def floor(url: str, samples: int = 200) -> dict[str, str]:
    """The machine's floor: a round trip, and a one-row insert with its commit (fsync)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table if not exists measure_floor (x int)")
        trips, commits = [], []
        for _ in range(samples):
            started = time.perf_counter()
            conn.execute("select 1")
            trips.append(time.perf_counter() - started)
            started = time.perf_counter()
            conn.execute("insert into measure_floor values (1)")
            commits.append(time.perf_counter() - started)
        conn.execute("drop table measure_floor")
        synchronous = conn.execute("show synchronous_commit").fetchone()
    return {
        "select 1 round trip": ms(trips),
        f"one-row insert + commit (synchronous_commit={synchronous and synchronous[0]})": ms(
            commits
        ),
    }


def latency(url: str, samples: int) -> dict[str, str]:
    """Runs started one at a time on an idle worker."""
    with Client(url) as client, psycopg.connect(url, autocommit=True) as conn:
        results: dict[str, str] = {}
        for flow in (Single, Diamond):
            ids = []
            for _ in range(samples):
                handle = client.start(flow, {})
                handle.wait(timeout=30)
                ids.append(handle.run_id)
                time.sleep(0.02)  # let the worker go idle again
            rows = conn.execute(
                """
                select extract(epoch from min(t.started_at) - r.started_at),
                       extract(epoch from r.completed_at - r.started_at)
                  from pgflow.runs as r
                  join pgflow.step_tasks as t using (run_id)
                 where r.run_id = any(%s)
                 group by r.run_id, r.started_at, r.completed_at
                """,
                (ids,),
            ).fetchall()
            claims = [float(r[0]) for r in rows]
            runs = [float(r[1]) for r in rows]
            results[f"{flow.slug}: start -> first claim"] = ms(claims)
            results[f"{flow.slug}: start -> completed"] = ms(runs)
        return results


DRAIN_SPAN = """
select extract(epoch from max(r.completed_at) - min(r.started_at)),
       (select count(*) from pgflow.step_tasks),
       count(*) filter (where r.status = 'completed')
  from pgflow.runs as r
"""


def throughput(
    url: str, flow: Flow[Any], runs: int, count: int, options: Sequence[str]
) -> tuple[float, float, float, float]:
    """Two figures for ``runs`` runs of ``flow`` with ``count`` idle worker processes.

    * backlog: the runs are started in one transaction, so they all become
      claimable at once; time from that commit to the last completion (what
      the workers can drain);
    * live: one client starts the runs back to back (a commit each) while the
      workers run; time from the first start to the last completion.

    Both use the runs' own timestamps.  Returns (backlog runs/s, backlog
    tasks/s, live runs/s, live tasks/s).
    """
    figures: list[float] = []
    with workers(url, count, options):
        for mode in ("backlog", "live"):
            reset(url)
            with Client(url) as client, psycopg.connect(url, autocommit=True) as conn:
                if mode == "backlog":
                    with conn.transaction():
                        ids = [
                            row[0]
                            for row in conn.execute(
                                "select (pgflow.start_flow(%s, '{}')).run_id"
                                " from generate_series(1, %s)",
                                (flow.slug, runs),
                            ).fetchall()
                        ]
                        # start_flow stamps pgflow.now(): the transaction start.
                        # Count from the commit instead.
                        conn.execute(
                            "update pgflow.runs set started_at = clock_timestamp()"
                            " where run_id = any(%s)",
                            (ids,),
                        )
                else:
                    ids = [client.start(flow, {}).run_id for _ in range(runs)]
                client.wait_all(ids, timeout=600)
                row = conn.execute(DRAIN_SPAN).fetchone()
            assert row is not None
            seconds, tasks, completed = float(row[0]), int(row[1]), int(row[2])
            assert completed == runs, f"{completed} of {runs} runs completed"
            figures += [runs / seconds, tasks / seconds]
    return figures[0], figures[1], figures[2], figures[3]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1000, help="runs per throughput figure")
    parser.add_argument("--samples", type=int, default=50, help="runs per latency figure")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set (run under scripts/with-postgres.sh)", file=sys.stderr)
        return 2
    options = ["--concurrency", str(args.concurrency), "--batch-size", str(args.batch_size)]
    print(f"pgflow end-to-end figures ({os.cpu_count()} CPUs; handlers do nothing)")
    print(f"workers: {' '.join(options)}; {args.runs} runs per throughput line\n")
    with prepared_database(url) as db:
        for name, value in floor(db).items():
            print(f"floor, {name}: {value}")
        with workers(db, 1, options):
            for name, value in latency(db, args.samples).items():
                print(f"latency, 1 idle worker, {name}: {value}")
        for count in (1, 4):
            for flow, shape in ((Single, "1 step"), (Diamond, "4-step diamond")):
                drain_runs, drain_tasks, live_runs, live_tasks = throughput(
                    db, flow, args.runs, count, options
                )
                procs = f"{count} worker process{'es' if count > 1 else ''}"
                print(
                    f"throughput, {procs}, {shape}: backlog {drain_runs:.0f} runs/s"
                    f" ({drain_tasks:.0f} tasks/s); live {live_runs:.0f} runs/s"
                    f" ({live_tasks:.0f} tasks/s)"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
