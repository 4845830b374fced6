"""Scenario 8: the SQL path with many finished tasks already in the tables; then prune them."""

from __future__ import annotations

import time

from psycopg import sql

from pgflow_bench.common import Context, connect, deploy, drain, start_runs
from pgflow_bench.flows import BenchSingle
from pgflow_bench.sql_path import measure

SEED_RUNS = 1_000

COLUMNS = """
select array_agg(attname::text order by attnum) from pg_attribute
 where attrelid = %s::regclass and attnum > 0 and not attisdropped and attgenerated = ''
"""


def _clone(conn: object, table: str, copies: int) -> None:
    """Insert ``copies`` copies of every finished row of ``table``, each under a new run_id."""
    cols: list[str] = conn.execute(COLUMNS, (f"pgflow.{table}",)).fetchone()[0]  # type: ignore[attr-defined]
    target = sql.SQL(", ").join(sql.Identifier(c) for c in cols)
    source = sql.SQL(", ").join(
        sql.SQL("m.new_id") if c == "run_id" else sql.SQL("t.{}").format(sql.Identifier(c))
        for c in cols
    )
    conn.execute(  # type: ignore[attr-defined]
        sql.SQL(
            "insert into pgflow.{} ({}) select {} from pgflow.{} t"
            " join bench_clone_map m on m.old_id = t.run_id"
        ).format(sql.Identifier(table), target, source, sql.Identifier(table))
    )


def fill(url: str, tasks: int) -> float:
    """Put ``tasks`` finished single-step runs in the tables; return the seconds taken."""
    t0 = time.perf_counter()
    seed = min(SEED_RUNS, tasks)
    start_runs(url, BenchSingle.slug, seed, timed=0)
    drain(url, connections=1, total=seed, batch=100, mode="batch")
    with connect(url) as conn:
        # every finished run is a template, the seed's and any measured before
        finished = conn.execute(
            "select count(*) from pgflow.runs where status = 'completed'"
        ).fetchone()[0]  # type: ignore[index]
        copies = max(0, round(tasks / max(finished, 1)) - 1)
        conn.execute(
            "create unlogged table bench_clone_map as"
            " select r.run_id as old_id, gen_random_uuid() as new_id"
            " from pgflow.runs r, generate_series(1, %s) where r.status = 'completed'",
            (copies,),
        )
        with conn.transaction():
            # the tables (pgflow.runs and pgflow.step_states are views over the first two)
            for table in ("run_rows", "step_state_rows", "step_tasks"):
                _clone(conn, table, copies)
        conn.execute("drop table bench_clone_map")
        conn.execute("vacuum analyze pgflow.run_rows, pgflow.step_state_rows, pgflow.step_tasks")
        conn.execute("checkpoint")
    return time.perf_counter() - t0


def run(ctx: Context) -> None:
    url = ctx.fresh_database("bench_growth")
    deploy(url, BenchSingle)
    # The empty-table baseline is measured here, in the same database a minute
    # before the filled one, not taken from the sql scenario: this machine's
    # commit latency drifts over minutes, and the ratio should show the tables'
    # size, not the drift.
    measure(ctx, url, "growth.empty", connections=(1,))
    n = ctx.sizes.growth_tasks
    fill_s = fill(url, n)
    with connect(url) as conn:
        finished = conn.execute(
            "select count(*) from pgflow.step_tasks where status = 'completed'"
        ).fetchone()[0]  # type: ignore[index]
    ctx.results.add("growth.finished_tasks", finished, "tasks", "finished tasks before measuring")
    ctx.results.add("growth.fill_s", fill_s, "s", "time to put them there (bulk copy, not the API)")
    measure(ctx, url, "growth", connections=(1,))
    with connect(url) as conn:
        t0 = time.perf_counter()
        pruned = conn.execute("select pgflow.prune_runs('0 seconds'::interval)").fetchone()[0]  # type: ignore[index]
        prune_s = time.perf_counter() - t0
    ctx.results.add("growth.prune_s", prune_s, "s", f"prune_runs of {pruned} finished runs")
    ctx.results.add(
        "growth.prune_runs_per_s", pruned / prune_s, "runs/s", "finished runs pruned per second"
    )
