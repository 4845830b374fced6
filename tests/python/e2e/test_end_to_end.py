"""Flows run to completion through real `pgflow worker` processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from pgflow import Client, Flow
from pgflow.tools.testing import WorkerProcess

WorkerFactory = Callable[..., WorkerProcess]


def test_diamond_flow_completes_with_correct_outputs(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Diamond")
    workers(["Diamond"])

    run = client.start("test_diamond", {"x": 4}).wait(timeout=30)

    assert run.status == "completed"
    assert run.output == {"d": {"sum": 5 * 2 + 5 * 3, "x": 4}}
    details = client.get_run(run.run_id)
    assert [(s.step_slug, s.status) for s in details.steps] == [
        ("a", "completed"),
        ("b", "completed"),
        ("c", "completed"),
        ("d", "completed"),
    ]
    assert {s.step_slug: s.output for s in details.steps} == {
        "a": 5,
        "b": 10,
        "c": 15,
        "d": {"sum": 25, "x": 4},
    }
    ran = effects.execute(
        "select step_slug, attempt from test_effects where run_id = %s order by step_slug",
        (run.run_id,),
    ).fetchall()
    assert ran == [("a", 1), ("b", 1), ("c", 1), ("d", 1)]


def test_map_flow_fans_out_and_in(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Mapped")
    workers(["Mapped"], "--concurrency", "4")

    full = client.start("test_map", {"numbers": [3, 1, 4, 1, 5]})
    empty = client.start("test_map", {"numbers": []})
    runs = client.wait_all([full.run_id, empty.run_id], timeout=30)

    assert runs[full.run_id].output == {"total": {"doubled": [6, 2, 8, 2, 10], "total": 28}}
    assert runs[empty.run_id].output == {"total": {"doubled": [], "total": 0}}
    details = full.get_run()
    assert [t.task_index for t in details.tasks_of("double")] == [0, 1, 2, 3, 4]
    assert [t.output for t in details.tasks_of("double")] == [6, 2, 8, 2, 10]
    count = effects.execute(
        "select count(*) from test_effects where run_id = %s and step_slug = 'double'",
        (full.run_id,),
    ).fetchone()
    assert count == (5,)


def test_many_runs_with_four_workers_complete_each_task_exactly_once(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Diamond")
    deploy("Mapped")
    processes = [
        workers(["Diamond", "Mapped"], "--concurrency", "4", "--batch-size", "3") for _ in range(4)
    ]

    diamonds = [client.start("test_diamond", {"x": i}).run_id for i in range(60)]
    maps = [client.start("test_map", {"numbers": list(range(i % 7))}).run_id for i in range(20)]
    runs = client.wait_all(diamonds + maps, timeout=120)

    assert {run.status for run in runs.values()} == {"completed"}
    for i, run_id in enumerate(diamonds):
        assert runs[run_id].output == {"d": {"sum": (i + 1) * 5, "x": i}}
    for i, run_id in enumerate(maps):
        numbers = list(range(i % 7))
        expected = {"doubled": [n * 2 for n in numbers], "total": 2 * sum(numbers)}
        assert runs[run_id].output == {"total": expected}

    # Every task of every run: completed, in one attempt, its handler run once.
    tasks = effects.execute(
        "select status, attempts_count, count(*) from pgflow.step_tasks group by 1, 2"
    ).fetchall()
    expected_tasks = 60 * 4 + sum(2 + (i % 7) for i in range(20))
    assert tasks == [("completed", 1, expected_tasks)]
    repeated = effects.execute(
        "select run_id, step_slug, task_index, count(*) from test_effects"
        " group by 1, 2, 3 having count(*) <> 1"
    ).fetchall()
    assert repeated == []
    total = effects.execute("select count(*) from test_effects").fetchone()
    assert total == (expected_tasks,)
    # The work was shared between the processes (how evenly is up to timing).
    pids = {row[0] for row in effects.execute("select distinct pid from test_effects").fetchall()}
    assert pids <= {p.pid for p in processes}
    assert len(pids) >= 2
    for process in processes:
        assert process.stop() == 0
