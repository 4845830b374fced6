"""Scenario: what flow control costs the claim (issue 13).

The same workload is drained twice over plain SQL, each time in a fresh
database: ``sql_runs`` single-step runs spread over ``TENANTS`` (200) tenants
(``{"tenant": "tN"}``), claimed by ``CONNECTIONS`` threads in batches of
``sql_batch`` and completed with ``complete_tasks``. The first drain has no
limits (claim_tasks' fast path); the second has a per-key limit on the step
(``concurrency => 2, concurrency_key => {run,tenant}``: at most two tasks per
tenant at once), so every claim takes the flow-controlled path (per-bucket
candidates, bucket advisory locks, the exact recount). The limit is active
but not binding (200 tenants x 2 = 400 slots for at most 40 tasks in flight),
so the ratio of the two throughputs is the cost of enforcing it, not the
limit's own effect (a binding limit holds work back by design); the claim's server time comes from
``pg_stat_user_functions`` (``track_functions = 'pl'`` on the drain sessions)
and its round trip is timed on the client.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from pgflow_bench.common import Context, connect, deploy, percentile
from pgflow_bench.flows import BenchSingle

TENANTS = 200
PER_KEY = 2
CONNECTIONS = 4
WARMUP = 100

CLAIM = "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, %s)"
COMPLETE_MANY = (
    "select pgflow.complete_tasks(%s::uuid[], %s::text[], %s::jsonb[], %s::int[], %s::int[])"
)


@dataclass
class Drain:
    tasks: int = 0
    seconds: float = 0.0
    claims: int = 0
    claim_round_trips: list[float] = field(default_factory=list)
    server_ms_per_claim: float = float("nan")
    complete_seconds: float = 0.0


def _start(url: str, count: int) -> None:
    with connect(url) as conn:
        conn.execute(
            "select count(pgflow.start_flow(%s, jsonb_build_object('tenant', 't' || (i %% %s))))"
            " from generate_series(1, %s) as i",
            (BenchSingle.slug, TENANTS, count),
        )


def _claim_stats(url: str) -> tuple[int, float]:
    with connect(url) as conn:
        row = conn.execute(
            "select coalesce(sum(calls), 0), coalesce(sum(total_time), 0)"
            " from pg_stat_user_functions where schemaname = 'pgflow' and funcname = 'claim_tasks'"
        ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1])


def _drain(url: str, total: int, batch: int) -> Drain:
    result = Drain()
    lock = threading.Lock()
    claimed = {"n": 0}
    errors: list[BaseException] = []
    barrier = threading.Barrier(CONNECTIONS + 1)
    deadline = time.monotonic() + 600

    def worker() -> None:
        wid = uuid.uuid4()
        trips: list[float] = []
        completing = 0.0
        try:
            with connect(url) as conn:
                conn.execute("set track_functions = 'pl'")
                cur = conn.cursor()
                barrier.wait()
                while True:
                    with lock:
                        if claimed["n"] >= total:
                            break
                    t0 = time.perf_counter()
                    rows = cur.execute(CLAIM, (wid, batch)).fetchall()
                    trips.append(time.perf_counter() - t0)
                    if not rows:
                        if time.monotonic() > deadline:
                            raise TimeoutError("flow_control: the drain did not finish")
                        time.sleep(0.0005)
                        continue
                    with lock:
                        claimed["n"] += len(rows)
                    t1 = time.perf_counter()
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
                    completing += time.perf_counter() - t1
                conn.execute("select pg_stat_force_next_flush()")
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            with lock:
                result.claim_round_trips.extend(trips)
                result.complete_seconds += completing

    calls_before, ms_before = _claim_stats(url)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - t0
    if errors:
        raise errors[0]
    result.tasks = claimed["n"]
    result.claims = len(result.claim_round_trips)
    time.sleep(0.6)  # pending function statistics reach the shared stats
    calls_after, ms_after = _claim_stats(url)
    if calls_after > calls_before:
        result.server_ms_per_claim = (ms_after - ms_before) / (calls_after - calls_before)
    return result


def _phase(ctx: Context, name: str, *, limited: bool) -> Drain:
    url = ctx.fresh_database(name)
    deploy(url, BenchSingle)
    if limited:
        with connect(url) as conn:
            conn.execute(
                "select pgflow.set_step_limits(%s, 'noop', concurrency => %s,"
                " concurrency_key => '{run,tenant}')",
                (BenchSingle.slug, PER_KEY),
            )
    _start(url, WARMUP)
    _drain(url, WARMUP, ctx.sizes.sql_batch)
    _start(url, ctx.sizes.sql_runs)
    return _drain(url, ctx.sizes.sql_runs, ctx.sizes.sql_batch)


def _report(ctx: Context, key: str, drain: Drain, label: str) -> None:
    ms = [1000 * t for t in drain.claim_round_trips]
    ctx.results.add(
        f"flow_control.{key}.tasks_per_s",
        drain.tasks / drain.seconds,
        "tasks/s",
        f"claim_tasks({ctx.sizes.sql_batch}) + complete_tasks, {CONNECTIONS} connections, {label}",
        throughput=True,
    )
    ctx.results.add(
        f"flow_control.{key}.claim_server_ms",
        drain.server_ms_per_claim,
        "ms",
        "mean server time of one claim_tasks call (pg_stat_user_functions)",
    )
    ctx.results.add(
        f"flow_control.{key}.claim_p50_ms",
        percentile(ms, 50),
        "ms",
        "median claim_tasks round trip (client-timed, includes empty claims)",
    )
    ctx.results.add(
        f"flow_control.{key}.claim_p95_ms", percentile(ms, 95), "ms", "p95 claim_tasks round trip"
    )
    ctx.results.add(
        f"flow_control.{key}.tasks_per_claim",
        drain.tasks / max(drain.claims, 1),
        "tasks",
        f"mean tasks a claim returned (of {ctx.sizes.sql_batch} asked; empty claims count)",
    )
    ctx.results.add(
        f"flow_control.{key}.complete_ms",
        1000 * drain.complete_seconds / max(drain.claims, 1),
        "ms",
        "mean complete_tasks round trip per claim",
    )


def run(ctx: Context) -> None:
    unlimited = _phase(ctx, "bench_flow_control_free", limited=False)
    limited = _phase(ctx, "bench_flow_control_limited", limited=True)
    _report(ctx, "unlimited", unlimited, "no limits (fast path)")
    _report(ctx, "per_key", limited, f"concurrency {PER_KEY} per tenant key, {TENANTS} tenants")
    ctx.results.add(
        "flow_control.ratio",
        (limited.tasks / limited.seconds) / (unlimited.tasks / unlimited.seconds),
        "x",
        "throughput with a per-key limit / without (target >= 0.7)",
    )
