"""A worker and a client with only pgflow's roles (least privilege), not a superuser."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from pgflow import Client, Flow
from pgflow.tools.testing import WorkerProcess

FLOWS_FILE = Path(__file__).resolve().parents[1] / "flows" / "flows.py"


@pytest.fixture
def roles(conn: psycopg.Connection[TupleRow]) -> Iterator[dict[str, str]]:
    """Login roles, one in ``pgflow_worker`` and one in ``pgflow_client``; dropped after."""
    suffix = secrets.token_hex(4)
    names = {"worker": f"test_worker_{suffix}", "client": f"test_client_{suffix}"}
    for kind, name in names.items():
        conn.execute(
            sql.SQL("create role {} login in role {}").format(
                sql.Identifier(name), sql.Identifier(f"pgflow_{kind}")
            )
        )
    try:
        yield names
    finally:
        for name in names.values():
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def test_a_worker_role_and_a_client_role_are_enough(
    deploy: Callable[[str], Flow[Any]],
    effects: psycopg.Connection[TupleRow],
    roles: dict[str, str],
    database_url: str,
) -> None:
    deploy("Mapped")
    worker_role = sql.Identifier(roles["worker"])
    # The test handlers record their side effects through the worker's URL.
    effects.execute(sql.SQL("grant insert on test_effects to {}").format(worker_role))
    effects.execute(sql.SQL("grant usage on test_effects_id_seq to {}").format(worker_role))
    worker = WorkerProcess(
        [f"{FLOWS_FILE}:Mapped"],
        make_conninfo(database_url, user=roles["worker"]),
        options=["--poll-interval", "5"],
    )
    try:
        worker.start(wait=False)
        with Client(make_conninfo(database_url, user=roles["client"])) as client:
            run = client.start("test_map", {"numbers": [1, 2]}).wait(timeout=30)
            details = client.get_run(run.run_id)
        assert run.output == {"total": {"doubled": [2, 4], "total": 6}}
        assert details.attempts("double") == 2
        assert worker.stop() == 0
        # pgflow_worker may verify the deployed shape, so the check really ran
        assert "skipping the shape check" not in worker.log_text()
    finally:
        worker.close()
