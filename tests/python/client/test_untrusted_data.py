"""The client under hostile or unusual data: forged notifications, values Python cannot decode."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from pgflow import Client, Flow, WaitTimeoutError
from pgflow.cli.main import main
from pgflow.jsonb import NESTED_TOO_DEEP, UndecodableJson

Act = Callable[[str, str, object], None]
Forge = Callable[[str], None]

NO_POLL = 60.0
"""Fallback poll interval: far above every bound asserted, so only a
notification can make ``wait`` look at the table in time."""

DEEP = "[" * 2000 + "]" * 2000
"""Valid jsonb that Python's decoder refuses (nested deeper than its recursion limit)."""


@pytest.fixture
def forger(conn: psycopg.Connection[TupleRow], database_url: str) -> Iterator[Forge]:
    """``forge(payload)``: ``pg_notify('pgflow_runs', payload)`` as a role with no rights."""
    role = f"forger_{secrets.token_hex(4)}"  # roles are cluster-wide: one per test
    conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    try:
        with psycopg.connect(make_conninfo(database_url, user=role), autocommit=True) as other:

            def forge(payload: str) -> None:
                other.execute("select pg_notify('pgflow_runs', %s)", (payload,))

            yield forge
    finally:
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def start_raw(conn: psycopg.Connection[TupleRow], flow_slug: str, input_json: str) -> UUID:
    """Start a run with ``input_json`` as the server reads it (no Python encoding on the way)."""
    row = conn.execute(
        "select run_id from pgflow.start_flow(%s, %s::jsonb)", (flow_slug, input_json)
    ).fetchone()
    assert row is not None
    run_id: UUID = row[0]
    return run_id


def forged_completion(run_id: UUID) -> str:
    return json.dumps({"run_id": str(run_id), "status": "completed"})


# -- notifications are hints -------------------------------------------------------------


def test_a_forged_completion_notification_does_not_end_wait(
    client: Client, two_steps: Flow[Any], forger: Forge
) -> None:
    handle = client.start(two_steps, {})

    def forge_repeatedly() -> None:
        for _ in range(5):
            time.sleep(0.2)
            forger(forged_completion(handle.run_id))

    thread = threading.Thread(target=forge_repeatedly)
    thread.start()
    try:
        with pytest.raises(WaitTimeoutError):
            handle.wait(timeout=1.5, poll_interval=NO_POLL)
    finally:
        thread.join()
    assert handle.status().status == "started"


def test_wait_returns_promptly_at_the_real_completion_after_a_forged_one(
    client: Client, two_steps: Flow[Any], act: Act, forger: Forge
) -> None:
    handle = client.start(two_steps, {})
    act("first", "complete", 1)
    finished_at: list[float] = []

    def forge_then_finish() -> None:
        time.sleep(0.2)
        forger(forged_completion(handle.run_id))
        forger("not json")
        time.sleep(0.5)
        act("second", "complete", "done")
        finished_at.append(time.monotonic())

    thread = threading.Thread(target=forge_then_finish)
    thread.start()
    try:
        run = handle.wait(timeout=10, poll_interval=NO_POLL)
        returned_at = time.monotonic()
    finally:
        thread.join()

    assert run.status == "completed"
    assert run.output == {"second": "done"}
    assert finished_at, "wait returned before the run was completed"
    assert returned_at - finished_at[0] < 1.0


# -- values Python cannot decode ---------------------------------------------------------


def test_get_run_of_a_deeply_nested_input_returns_markers_instead_of_raising(
    client: Client, conn: psycopg.Connection[TupleRow], two_steps: Flow[Any]
) -> None:
    run_id = start_raw(conn, "two_steps", DEEP)

    details = client.get_run(run_id)

    assert details.run.input == UndecodableJson(NESTED_TOO_DEEP, len(DEEP))
    assert details.status == "started"
    assert [(s.step_slug, s.status) for s in details.steps] == [
        ("first", "started"),
        ("second", "created"),
    ]
    assert client.get_run_row(run_id).input == details.run.input


def test_an_integer_too_long_for_python_reads_as_a_marker_naming_the_limit(
    client: Client, conn: psycopg.Connection[TupleRow], two_steps: Flow[Any]
) -> None:
    run_id = start_raw(conn, "two_steps", '{"n": 1' + "0" * 5000 + "}")

    value = client.get_run_row(run_id).input

    assert isinstance(value, UndecodableJson)
    assert value.reason.startswith("ValueError: Exceeds the limit (4300 digits)")


def test_wait_returns_a_finished_run_whose_input_cannot_be_decoded(
    client: Client, conn: psycopg.Connection[TupleRow], two_steps: Flow[Any]
) -> None:
    run_id = start_raw(conn, "two_steps", DEEP)
    assert client.cancel(run_id).status == "cancelled"

    run = client.wait(run_id, timeout=5, poll_interval=NO_POLL)

    assert run.status == "cancelled"
    assert isinstance(run.input, UndecodableJson)


def test_status_shows_an_undecodable_input_as_a_marker(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    two_steps: Flow[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = start_raw(conn, "two_steps", DEEP)
    marker = f"<undecodable JSON value of {len(DEEP)} bytes: {NESTED_TOO_DEEP}>"

    assert main(["status", str(run_id), "--database-url", database_url]) == 0
    assert f"input:  {json.dumps(marker)}" in capsys.readouterr().out
    assert main(["status", str(run_id), "--json", "--database-url", database_url]) == 0
    assert json.loads(capsys.readouterr().out)["run"]["input"] == marker
