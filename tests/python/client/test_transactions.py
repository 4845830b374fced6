"""A run started inside the caller's transaction commits or rolls back with the caller's rows.

``start(flow, input, conn=c)`` runs ``pgflow.start_flow`` on ``c`` and
commits nothing, so an application can insert its own row and start the
run that processes it atomically (a transactional outbox).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import TupleRow

from pgflow import AsyncClient, Client, Flow


def runs_and_orders(conn: psycopg.Connection[TupleRow]) -> tuple[int, int]:
    row = conn.execute(
        "select (select count(*) from pgflow.runs), (select count(*) from app_orders)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def claimable(conn: psycopg.Connection[TupleRow], run_id: UUID) -> list[str]:
    worker = "6f1b4f1e-0000-4000-8000-000000000001"
    conn.execute("select pgflow.register_worker(%s)", (worker,))
    rows = conn.execute(
        "select run_id, step_slug from pgflow.claim_tasks(%s, 10)", (worker,)
    ).fetchall()
    return [step for run, step in rows if run == run_id]


def test_a_run_started_in_a_rolled_back_transaction_leaves_nothing(
    client: Client, two_steps: Flow[Any], conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    conn.execute("create table app_orders (id int primary key)")
    with psycopg.connect(database_url) as app:  # not autocommit: the app's transaction
        app.execute("insert into app_orders values (1)")
        client.start(two_steps, {"order": 1}, conn=app)
        app.rollback()
    assert runs_and_orders(conn) == (0, 0)


def test_a_run_started_in_a_committed_transaction_is_claimable_after_the_commit(
    client: Client, two_steps: Flow[Any], conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    conn.execute("create table app_orders (id int primary key)")
    with psycopg.connect(database_url) as app:
        with app.transaction():
            app.execute("insert into app_orders values (1)")
            run = client.start(two_steps, {"order": 1}, conn=app)
            assert runs_and_orders(conn) == (0, 0)  # nothing visible before the commit
        assert runs_and_orders(conn) == (1, 1)
    assert claimable(conn, run.run_id) == ["first"]


def test_the_async_client_starts_runs_in_the_callers_transaction(
    database_url: str, two_steps: Flow[Any], conn: psycopg.Connection[TupleRow]
) -> None:
    conn.execute("create table app_orders (id int primary key)")

    async def scenario() -> UUID:
        async with (
            AsyncClient(database_url) as client,
            await psycopg.AsyncConnection.connect(database_url) as app,
        ):
            await app.execute("insert into app_orders values (1)")
            await client.start(two_steps, {"order": 1}, conn=app)
            await app.rollback()
            async with app.transaction():
                await app.execute("insert into app_orders values (2)")
                run = await client.start(two_steps, {"order": 2}, conn=app)
            return run.run_id

    run_id = asyncio.run(scenario())
    assert runs_and_orders(conn) == (1, 1)
    assert claimable(conn, run_id) == ["first"]


def test_a_client_on_one_connection_works_with_or_without_autocommit(
    database_url: str, two_steps: Flow[Any], conn: psycopg.Connection[TupleRow]
) -> None:
    for autocommit in (True, False):
        with psycopg.connect(database_url, autocommit=autocommit) as own:
            client = Client(own)
            run = client.start(two_steps, {})
            assert client.get_run_row(run.run_id).status == "started"
            client.close()
            assert not own.closed
        # committed: another session sees it
        assert conn.execute(
            "select count(*) from pgflow.runs where run_id = %s", (run.run_id,)
        ).fetchone() == (1,)
