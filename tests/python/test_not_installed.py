"""One "not installed" error: every part of the SDK says the same when pgflow is missing."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import (
    Client,
    DatabaseError,
    Flow,
    NotInstalledError,
    Worker,
    WorkerOptions,
    deploy_flow,
    translate,
)

MESSAGE = "pgflow is not installed in this database: run `pgflow install`"


def flow() -> Flow[Any]:
    flow: Flow[Any] = Flow("not_installed")
    flow.add_step("only", lambda _: None)
    return flow


def raised(conn: psycopg.Connection[TupleRow], query: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(query.encode())
    return caught.value


@pytest.mark.parametrize(
    ("query", "sqlstate"),
    [
        ("select * from pgflow.runs", "42P01"),
        ("select pgflow.start_flow('x')", "3F000"),
    ],
)
def test_a_missing_pgflow_schema_translates_to_not_installed(
    empty_database_url: str, query: str, sqlstate: str
) -> None:
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        error = translate(raised(conn, query))
    assert isinstance(error, NotInstalledError)
    assert str(error) == MESSAGE
    assert error.sqlstate == sqlstate
    assert error.detail is not None
    assert "pgflow" in error.detail


def test_a_missing_pgflow_function_translates_to_not_installed(
    conn: psycopg.Connection[TupleRow],
) -> None:
    error = translate(raised(conn, "select pgflow.no_such_function()"))
    assert isinstance(error, NotInstalledError)
    assert error.sqlstate == "42883"


def test_other_missing_objects_stay_plain_database_errors(
    conn: psycopg.Connection[TupleRow],
) -> None:
    for query in ("select * from public.nothing_here", "select no_such_function()"):
        error = translate(raised(conn, query))
        assert type(error) is DatabaseError, query


def test_the_client_says_it(empty_database_url: str) -> None:
    with Client(empty_database_url) as client, pytest.raises(NotInstalledError, match=MESSAGE):
        client.start("not_installed")


def test_deploy_says_it(empty_database_url: str) -> None:
    with (
        psycopg.connect(empty_database_url, autocommit=True) as conn,
        pytest.raises(NotInstalledError, match=MESSAGE),
    ):
        deploy_flow(conn, flow())


@pytest.mark.parametrize("verify", [True, False])
def test_the_worker_says_it(empty_database_url: str, verify: bool) -> None:
    worker = Worker(
        [flow()], empty_database_url, options=WorkerOptions(verify_flows=verify, grace_period=0)
    )
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            worker.run(install_signal_handlers=False)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(timeout=30)
    if thread.is_alive():
        worker.stop(force=True)
        thread.join(timeout=10)
        pytest.fail("the worker kept running against a database without pgflow")
    assert len(errors) == 1
    assert isinstance(errors[0], NotInstalledError)
    assert str(errors[0]) == MESSAGE
