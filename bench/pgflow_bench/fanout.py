"""Scenarios 5 and 10: one root map step over many elements, drained by 1 and by 4 connections."""

from __future__ import annotations

import json
import time
import uuid

from pgflow_bench.common import Context, connect, deploy, drain
from pgflow_bench.flows import BenchMap

CONNECTIONS = (1, 4)


def run(ctx: Context) -> None:
    n = ctx.sizes.fanout_elements
    payload = json.dumps(list(range(n)))
    for conns in CONNECTIONS:
        url = ctx.fresh_database("bench_fanout")
        deploy(url, BenchMap)
        with connect(url) as conn:
            t0 = time.perf_counter()
            run_id = conn.execute(
                "select run_id from pgflow.start_flow('bench_map', %s::jsonb)", (payload,)
            ).fetchone()[0]  # type: ignore[index]
            start_s = time.perf_counter() - t0
        ctx.results.add("fanout.start_flow_s", start_s, "s", f"start_flow creating {n} map tasks")
        # Everything but the last task; the last one's completion aggregates the output.
        stats = drain(url, connections=conns, total=n - 1, batch=ctx.sizes.sql_batch, mode="batch")
        ctx.results.add(
            f"fanout.c{conns}.drain_tasks_per_s",
            stats.tasks / stats.seconds,
            "tasks/s",
            f"map tasks drained by {conns} connection(s), claim_tasks + complete_tasks",
            throughput=True,
        )
        with connect(url) as conn:
            row = conn.execute(
                "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, 1)",
                (uuid.uuid4(),),
            ).fetchone()
            assert row is not None, "fanout: the last task was not claimable"
            t0 = time.perf_counter()
            conn.execute("select 1 from pgflow.complete_task(%s, %s, '{}'::jsonb, %s, %s)", row)
            final_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            status, length = conn.execute(
                "select status, jsonb_array_length(output -> 'each') from pgflow.runs"
                " where run_id = %s",
                (run_id,),
            ).fetchone()  # type: ignore[misc]
            read_s = time.perf_counter() - t0
        if status != "completed" or length != n:
            raise RuntimeError(f"fanout: run is {status} with {length} outputs, expected {n}")
        ctx.results.add(
            "fanout.final_complete_s",
            final_s,
            "s",
            "the last complete_task: completes the map step and the run",
        )
        ctx.results.add(
            "fanout.output_read_s",
            read_s,
            "s",
            f"reading the run's output: the view aggregates the {n} task outputs",
        )
