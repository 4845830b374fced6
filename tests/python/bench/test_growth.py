"""The table-growth scenario's fill and its targets (the benchmark asserts no speed)."""

from __future__ import annotations

import psycopg
from psycopg.rows import TupleRow

from pgflow_bench.common import deploy, drain, start_runs
from pgflow_bench.flows import BenchSingle
from pgflow_bench.growth import fill
from pgflow_bench.report import Results


def finished_runs(conn: psycopg.Connection[TupleRow]) -> int:
    row = conn.execute("select count(*) from pgflow.runs where status = 'completed'").fetchone()
    assert row is not None
    return int(row[0])


def test_fill_reaches_the_requested_size_on_empty_tables(
    database_url: str, conn: psycopg.Connection[TupleRow]
) -> None:
    deploy(database_url, BenchSingle)
    fill(database_url, 3_000)
    assert finished_runs(conn) == 3_000


def test_fill_counts_the_finished_runs_already_there(
    database_url: str, conn: psycopg.Connection[TupleRow]
) -> None:
    # the scenario measures its empty-table baseline first, leaving finished runs behind
    deploy(database_url, BenchSingle)
    start_runs(database_url, BenchSingle.slug, 1_500, timed=0)
    drain(database_url, connections=1, total=1_500, batch=100, mode="batch")
    fill(database_url, 10_000)
    assert 9_000 <= finished_runs(conn) <= 11_000


def test_growth_targets_compare_with_the_baseline_of_the_same_scenario() -> None:
    results = Results()
    results.add("sql.single.c1.tasks_per_s", 1_000, "tasks/s", "", throughput=True)
    results.add("growth.empty.single.c1.tasks_per_s", 500, "tasks/s", "", throughput=True)
    results.add("growth.single.c1.tasks_per_s", 480, "tasks/s", "", throughput=True)
    results.add("growth.empty.batch.c1.tasks_per_s", 2_000, "tasks/s", "", throughput=True)
    results.add("growth.batch.c1.tasks_per_s", 1_000, "tasks/s", "", throughput=True)
    growth = {t.description: t for t in results.targets() if t.description.startswith("table")}
    single = growth["table growth: SQL path with old tasks vs empty"]
    batch = growth["table growth: batch API with old tasks vs empty"]
    assert (single.met, single.detail) == (True, "0.96x (goal >= 0.9x)")
    assert (batch.met, batch.detail) == (False, "0.50x (goal >= 0.9x)")
