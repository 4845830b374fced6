"""A Worker embedded in the test process (a thread), against a real database."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Client, Flow, deploy_flow
from pgflow.errors import FlowNotFoundError, ShapeMismatchError
from pgflow.run.worker import Worker, WorkerOptions, WorkerReport, current_task


@contextmanager
def running(worker: Worker, timeout: float = 20) -> Iterator[dict[str, WorkerReport]]:
    """Run ``worker`` on a thread; stop it on exit and put its report in the dict."""
    result: dict[str, WorkerReport] = {}
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result["report"] = worker.run(install_signal_handlers=False)
        except BaseException as error:  # surfaced below
            errors.append(error)

    thread = threading.Thread(target=target, name="test-worker")
    thread.start()
    try:
        assert worker.wait_started(timeout) or errors, "worker did not start"
        if errors:
            raise errors[0]
        yield result
    finally:
        worker.stop()
        thread.join(timeout)
        assert not thread.is_alive(), "worker did not stop"
    if errors:
        raise errors[0]


def fast(**overrides: Any) -> WorkerOptions:
    return WorkerOptions(poll_interval=5, heartbeat_interval=0.2, grace_period=5, **overrides)


def test_sync_and_async_handlers_see_their_task_and_are_reported(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow("embedded")
    seen: list[tuple[str, int, int]] = []

    @flow.step()
    def root(run: dict[str, Any]) -> list[int]:
        task = current_task()
        seen.append((task.step_slug, task.task_index, task.attempt))
        return list(range(int(run["n"])))

    @flow.map(root)
    async def each(item: int) -> dict[str, int]:
        await asyncio.sleep(0.01)
        task = current_task()
        seen.append((task.step_slug, task.task_index, task.attempt))
        return {"item": item, "index": task.task_index}

    deploy_flow(conn, flow)
    worker = Worker([flow], database_url, options=fast(concurrency=4))
    with running(worker) as result, Client(database_url) as client:
        run = client.start(flow, {"n": 3}).wait(timeout=20)
    assert run.output == {
        "each": [{"item": 0, "index": 0}, {"item": 1, "index": 1}, {"item": 2, "index": 2}]
    }
    assert sorted(seen) == [("each", 0, 1), ("each", 1, 1), ("each", 2, 1), ("root", 0, 1)]
    report = result["report"]
    assert (report.claimed, report.succeeded, report.failed, report.clean) == (4, 4, 0, True)
    row = conn.execute(
        "select stopped_at is not null, last_heartbeat_at > started_at from pgflow.workers"
        " where worker_id = %s",
        (worker.worker_id,),
    ).fetchone()
    assert row == (True, True)
    with pytest.raises(LookupError, match="outside a step handler"):
        current_task()


def test_handlers_receive_the_run_input_and_dependency_outputs_as_arguments(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow[dict[str, int]]("arguments")

    @flow.step()
    def base(run: dict[str, int]) -> int:
        return run["n"] * 10

    @flow.step(base, run_if={"run": {"vip": 1}})
    def bonus(run: dict[str, int], base: int) -> int:
        return base + 1

    @flow.step(bonus, base)  # order given here, not definition order
    async def report(run: dict[str, int], bonus: int | None, base: int) -> dict[str, object]:
        return {"n": run["n"], "bonus": bonus, "base": base}

    deploy_flow(conn, flow)
    with running(Worker([flow], database_url, options=fast())), Client(database_url) as client:
        vip = client.start(flow, {"n": 2, "vip": 1}).result(timeout=20)
        skipped = client.start(flow, {"n": 3}).result(timeout=20)
    assert vip == {"report": {"n": 2, "bonus": 21, "base": 20}}
    # bonus's condition is unmet: skipped, so report receives None for it
    assert skipped == {"report": {"n": 3, "bonus": None, "base": 30}}


def test_outputs_the_database_cannot_store_fail_the_task_with_the_reason(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow("bad_output", max_attempts=1)
    flow.add_step("nan", lambda _: float("nan"))
    flow.add_step("object", lambda _: {"at": object()})
    deploy_flow(conn, flow)
    with running(Worker([flow], database_url, options=fast())), Client(database_url) as client:
        run = client.start(flow, {}).wait(timeout=20)
        details = client.get_run(run.run_id)
    assert run.status == "failed"
    errors = {t.step_slug: t.error_message or "" for t in details.tasks if t.error_message}
    assert any(e.startswith("OutputError: ") and "not JSON" in e for e in errors.values()), errors


def test_a_step_without_a_handler_stays_queued_for_another_worker(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow("half_handled", max_attempts=1)
    flow.add_step("mine", lambda _: 1)
    flow.add_step("theirs", depends_on=["mine"])
    deploy_flow(conn, flow)
    with (
        running(Worker([flow], database_url, options=fast(batch_size=1))),
        Client(database_url) as client,
    ):
        run_id = client.start("half_handled", {}).run_id
        deadline = time.monotonic() + 20
        while conn.execute(
            "select status from pgflow.step_states where run_id = %s and step_slug = 'mine'",
            (run_id,),
        ).fetchone() != ("completed",):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # claims on every notification meanwhile
        row = conn.execute(
            "select status, attempts_count from pgflow.step_tasks"
            " where run_id = %s and step_slug = 'theirs'",
            (run_id,),
        ).fetchone()
    assert row == ("queued", 0)


def test_a_worker_without_any_handler_is_refused() -> None:
    hollow = Flow("no_handler")
    hollow.add_step("declared_only")
    with pytest.raises(ValueError, match="no step of these flows has a handler"):
        Worker([hollow], "postgresql://unused")


def test_a_worker_refuses_a_flow_whose_deployed_shape_differs(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deployed = Flow("shapes")
    deployed.add_step("a", lambda _: 1)
    deploy_flow(conn, deployed)
    changed = Flow("shapes")
    changed.add_step("a", lambda _: 1)
    changed.add_step("b", lambda run, a: 2, depends_on=["a"])

    with pytest.raises(ShapeMismatchError):
        Worker([changed], database_url, options=fast()).run(install_signal_handlers=False)
    missing = Flow("never_deployed")
    missing.add_step("a", lambda _: 1)
    with pytest.raises(FlowNotFoundError):
        Worker([missing], database_url, options=fast()).run(install_signal_handlers=False)


def test_concurrency_limits_running_handlers(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow("limited")
    lock = threading.Lock()
    now_running = 0
    most = 0

    @flow.step()
    def work(_: object) -> None:
        nonlocal now_running, most
        with lock:
            now_running += 1
            most = max(most, now_running)
        time.sleep(0.2)
        with lock:
            now_running -= 1

    deploy_flow(conn, flow)
    worker = Worker([flow], database_url, options=fast(concurrency=2, batch_size=10))
    with running(worker), Client(database_url) as client:
        ids = [client.start(flow, {}).run_id for _ in range(6)]
        runs = client.wait_all(ids, timeout=20)
    assert {r.status for r in runs.values()} == {"completed"}
    assert most == 2


def test_the_worker_reconnects_after_its_connections_are_killed(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow("resilient")
    flow.add_step("echo", lambda run: run)
    deploy_flow(conn, flow)
    worker = Worker([flow], database_url, options=fast())
    with running(worker) as result:
        with Client(database_url) as client:
            assert client.start(flow, {"n": 1}).wait(timeout=20).output == {"echo": {"n": 1}}
        # Every other session of this database: the worker's pool and its listener.
        killed = conn.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity"
            " where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchone()
        assert killed is not None
        assert killed[0] >= 2
        with Client(database_url) as client:
            run = client.start(flow, {"n": 2}).wait(timeout=20)
        assert run.output == {"echo": {"n": 2}}
    assert result["report"].clean
    assert result["report"].succeeded == 2
