"""AsyncClient against a real server: start, wait via LISTEN, cancel, reconnect, its sources."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from pgflow import AsyncClient, Flow, RunFailedError, RunNotFoundError, WaitTimeoutError

Act = Callable[[str, str, object], None]


def test_start_then_wait_returns_the_final_row_and_result_the_output(
    database_url: str, two_steps: Flow[Any], act: Act
) -> None:
    async def scenario() -> tuple[str, object, object]:
        async with AsyncClient(database_url) as client:
            handle = await client.start(two_steps, {"n": 1})
            waiter = asyncio.create_task(handle.wait(timeout=20))
            await asyncio.sleep(0.2)
            act("first", "complete", {"n": 1})
            act("second", "complete", 42)
            final = await waiter
            return final.status, final.output, await handle.result(timeout=5)

    assert asyncio.run(scenario()) == ("completed", {"second": 42}, {"second": 42})


def test_wait_is_woken_by_the_notification_not_the_fallback_poll(
    database_url: str, two_steps: Flow[Any], act: Act
) -> None:
    async def scenario() -> float:
        async with AsyncClient(database_url) as client:
            handle = await client.start(two_steps, {})
            waiter = asyncio.create_task(handle.wait(timeout=60, poll_interval=60))
            await asyncio.sleep(0.3)  # the waiter listens and has read the status once
            act("first", "complete", 1)
            act("second", "complete", 2)
            finished = time.monotonic()
            await waiter
            return time.monotonic() - finished

    assert asyncio.run(scenario()) < 30  # well before the 60 s poll: the NOTIFY woke it


def test_cancel_ends_the_run_and_result_raises_run_failed(
    database_url: str, two_steps: Flow[Any]
) -> None:
    async def scenario() -> None:
        async with AsyncClient(database_url) as client:
            handle = await client.start(two_steps, {})
            cancelled = await handle.cancel()
            assert cancelled.status == "cancelled"
            assert (await handle.wait(timeout=5)).status == "cancelled"
            with pytest.raises(RunFailedError, match="cancelled") as caught:
                await handle.result(timeout=5)
            assert caught.value.run.run_id == handle.run_id
            details = await handle.get_run()
            assert {step.status for step in details.steps} == {"cancelled"}

    asyncio.run(scenario())


def test_wait_survives_its_connection_being_killed(
    database_url: str, two_steps: Flow[Any], act: Act, conn: psycopg.Connection[TupleRow]
) -> None:
    async def scenario() -> str:
        async with AsyncClient(database_url) as client:
            handle = await client.start(two_steps, {})
            waiter = asyncio.create_task(handle.wait(timeout=20, poll_interval=1))
            await asyncio.sleep(0.3)
            killed = conn.execute(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                " where datname = current_database() and pid <> pg_backend_pid()"
            ).fetchone()
            assert killed is not None
            assert killed[0] >= 1
            await asyncio.sleep(0.3)
            act("first", "complete", 1)
            act("second", "complete", 2)
            return (await waiter).status

    assert asyncio.run(scenario()) == "completed"


def test_it_runs_on_a_given_pool_or_connection_and_leaves_them_open(
    database_url: str, two_steps: Flow[Any]
) -> None:
    async def scenario() -> None:
        async with AsyncConnectionPool(
            database_url, kwargs={"autocommit": True}, min_size=1, max_size=2
        ) as pool:
            async with AsyncClient(pool) as client:
                run = await client.start(two_steps, {})
                assert (await client.get_run_row(run.run_id)).status == "started"
            assert not pool.closed
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            client = AsyncClient(conn)  # not autocommit: each call commits on its own
            run = await client.start(two_steps, {})
            listed = [r.run_id for r in await client.list_runs(flow=two_steps)]
            assert listed[0] == run.run_id  # newest first
            await client.close()
            assert not conn.closed

    asyncio.run(scenario())


def test_unknown_runs_and_timeouts_raise(database_url: str, two_steps: Flow[Any]) -> None:
    async def scenario() -> None:
        async with AsyncClient(database_url) as client:
            with pytest.raises(RunNotFoundError):
                await client.get_run_row("00000000-0000-0000-0000-000000000000")
            handle = await client.start(two_steps, {})
            with pytest.raises(WaitTimeoutError):
                await handle.wait(timeout=0.3)

    asyncio.run(scenario())
