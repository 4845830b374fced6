"""A shape mismatch names what differs, wherever it is detected.

A compiled migration applied with ``psql`` and a worker's start-up check both
pass the definition's whole shape to ``pgflow.verify_flow``, so the error's
DETAIL names the differing step and option, not just two hashes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Flow, ShapeMismatchError, compile_flow, deploy_flow
from pgflow.run.worker import Worker, WorkerOptions


def orders(charge_timeout: int | None = None) -> Flow[Any]:
    flow: Flow[Any] = Flow("orders_v1")
    flow.add_step("validate", lambda _: 1)
    flow.add_step("charge", lambda run, validate: 2, depends_on="validate", timeout=charge_timeout)
    return flow


def psql() -> str:
    pgbin = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
    found = shutil.which("psql", path=f"{pgbin}{os.pathsep}{os.environ.get('PATH', '')}")
    # the harness installs the PostgreSQL client with the server (scripts/bootstrap.sh)
    assert found is not None, f"psql not found in {pgbin} or on PATH: run the tests with make test"
    return found


def test_a_migration_differing_in_one_step_timeout_names_that_step_and_option(
    conn: psycopg.Connection[TupleRow], database_url: str, tmp_path: Path
) -> None:
    conn.execute(compile_flow(orders(charge_timeout=30)).encode())
    migration = tmp_path / "20300101000000_pgflow_orders_v1.sql"
    migration.write_text(compile_flow(orders(charge_timeout=10)), encoding="utf-8")

    result = subprocess.run(
        [psql(), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-f", str(migration)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "does not match this definition" in result.stderr
    assert "DETAIL:  step 'charge' timeout: 30 in the database, 10 given" in result.stderr
    row = conn.execute(
        "select options -> 'timeout' from pgflow.steps where step_slug = 'charge'"
    ).fetchone()
    assert row == (30,)


def test_a_worker_whose_step_timeout_differs_names_that_step_and_option(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deploy_flow(conn, orders(charge_timeout=30))
    worker = Worker([orders(charge_timeout=10)], database_url, options=WorkerOptions())
    with pytest.raises(ShapeMismatchError) as raised:
        worker.run(install_signal_handlers=False)
    assert raised.value.detail == "step 'charge' timeout: 30 in the database, 10 given"
