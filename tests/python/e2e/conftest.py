"""Fixtures for end-to-end tests: deployed test flows, worker subprocesses, side effects."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Client, Flow, deploy_flow, load_flow
from pgflow.tools.testing import WorkerProcess

FLOWS_FILE = Path(__file__).resolve().parents[1] / "flows" / "flows.py"

EFFECTS_TABLE = """
create table test_effects (
    id bigserial primary key,
    run_id uuid not null,
    step_slug text not null,
    task_index int not null,
    attempt int not null,
    pid int not null,
    phase text not null,
    at timestamptz not null default clock_timestamp()
)
"""


def flow_ref(name: str) -> str:
    """FLOW_REF of a flow in tests/python/flows/flows.py."""
    return f"{FLOWS_FILE}:{name}"


@pytest.fixture
def effects(conn: psycopg.Connection[TupleRow]) -> psycopg.Connection[TupleRow]:
    """Create ``test_effects`` (handlers insert into it); returns the connection."""
    conn.execute(EFFECTS_TABLE)
    return conn


@pytest.fixture
def deploy(conn: psycopg.Connection[TupleRow]) -> Callable[[str], Flow[Any]]:
    """Deploy a test flow by name; returns the Flow."""

    def deploy_by_name(name: str) -> Flow[Any]:
        flow = load_flow(flow_ref(name))
        deploy_flow(conn, flow)
        return flow

    return deploy_by_name


WorkerFactory = Callable[..., WorkerProcess]


@pytest.fixture
def workers(database_url: str) -> Iterator[WorkerFactory]:
    """Start ``pgflow worker`` subprocesses: ``workers(["Diamond"], "--concurrency", "4")``.

    Every process still running at teardown is killed; its log is printed
    when the test failed (pytest shows captured output).
    """
    started: list[WorkerProcess] = []

    def start(names: Sequence[str], *options: str, wait: bool = True) -> WorkerProcess:
        process = WorkerProcess(
            [flow_ref(name) for name in names],
            database_url,
            options=["--poll-interval", "5", *options],
        )
        started.append(process)
        return process.start(wait=wait)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        print(f"--- log of worker {process.pid} ---\n{process.log_text()}")
        process.close()


@pytest.fixture
def client(database_url: str) -> Iterator[Client]:
    with Client(database_url) as c:
        yield c
