"""`pgflow worker --log-format json` writes one JSON object per log line.

(Lines logged inside a handler also carry the task's fields: tested with the
formatter itself in tests/python/worker/test_fidelity_units.py.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from pgflow import Client, Flow
from pgflow.tools.testing import WorkerProcess

WorkerFactory = Callable[..., WorkerProcess]


def test_the_worker_logs_one_json_object_per_line(
    effects: psycopg.Connection[TupleRow],
    deploy: Callable[[str], Flow[Any]],
    workers: WorkerFactory,
    client: Client,
) -> None:
    deploy("Diamond")
    worker = workers(["Diamond"], "--log-format", "json", "--log-level", "debug")

    run = client.start("test_diamond", {"x": 1}).wait(timeout=30)
    assert run.status == "completed"
    worker.stop()

    lines = [line for line in worker.log_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"ts", "level", "logger", "message"} <= set(records[0])
    assert any(str(run.run_id) in r["message"] for r in records), "debug lines name the run"
    assert {r["level"] for r in records} <= {"debug", "info", "warning", "error", "critical"}
