"""Client: start, read, cancel, and wait through LISTEN/NOTIFY."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import (
    Client,
    DatabaseUnavailableError,
    Flow,
    FlowNotFoundError,
    Run,
    RunIdConflictError,
    RunNotFoundError,
    WaitTimeoutError,
)

Act = Callable[[str, str, object], None]

NO_POLL = 60.0
"""Fallback poll interval for wait tests: far above the bounds asserted, so a
prompt return proves the notification woke the waiter."""


def later(delay: float, action: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_start_returns_a_handle_and_get_run_shows_every_step(
    client: Client, two_steps: Flow[Any]
) -> None:
    handle = client.start(two_steps, {"n": 1})
    assert handle.flow_slug == "two_steps"
    details = handle.get_run()
    assert details.run.status == "started"
    assert details.run.input == {"n": 1}
    assert [(s.step_slug, s.status) for s in details.steps] == [
        ("first", "started"),
        ("second", "created"),
    ]
    assert [(t.step_slug, t.status, t.attempts_count) for t in details.tasks] == [
        ("first", "queued", 0)
    ]
    assert client.start("two_steps").status().input == {}


def test_a_run_id_is_an_idempotency_key(client: Client, two_steps: Flow[Any]) -> None:
    run_id = uuid.uuid4()
    first = client.start(two_steps, {"n": 1}, run_id=run_id)
    again = client.start(two_steps, {"n": 2}, run_id=str(run_id))
    assert first.run_id == again.run_id == run_id
    assert again.status().input == {"n": 1}


def test_start_errors_are_typed(client: Client, two_steps: Flow[Any]) -> None:
    with pytest.raises(FlowNotFoundError):
        client.start("no_such_flow", {})
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        client.start(two_steps, {"when": object()})
    other = Flow("other_flow")
    other.add_step("only", lambda _: None)
    taken = client.start(two_steps, {}).run_id
    with pytest.raises((RunIdConflictError, FlowNotFoundError)):
        client.start(other, {}, run_id=taken)


def test_unknown_runs_raise_run_not_found(client: Client) -> None:
    missing = uuid.uuid4()
    with pytest.raises(RunNotFoundError):
        client.get_run(missing)
    with pytest.raises(RunNotFoundError):
        client.wait(missing, timeout=1)


def test_wait_returns_promptly_when_the_run_completes(
    client: Client, two_steps: Flow[Any], act: Act
) -> None:
    handle = client.start(two_steps, {"n": 7})
    act("first", "complete", {"n": 7})
    finished_at: list[float] = []

    def finish() -> None:
        act("second", "complete", "done")
        finished_at.append(time.monotonic())

    thread = later(0.5, finish)
    run = handle.wait(timeout=10, poll_interval=NO_POLL)
    returned_at = time.monotonic()
    thread.join()

    assert run.status == "completed"
    assert run.output == {"second": "done"}
    assert returned_at - finished_at[0] < 1.0  # generous for CI; typically ~1 ms


def test_wait_returns_promptly_when_the_run_fails(
    client: Client, two_steps: Flow[Any], act: Act
) -> None:
    handle = client.start(two_steps, {})
    thread = later(0.3, lambda: act("first", "fail", "ValueError: nope"))
    started = time.monotonic()
    run = handle.wait(timeout=10, poll_interval=NO_POLL)
    thread.join()

    assert run.status == "failed"
    assert time.monotonic() - started < 2.0
    details = handle.get_run()
    assert details.tasks_of("first")[0].error_message == "ValueError: nope"
    assert details.errors()["first"].endswith("ValueError: nope")  # the step's names it


def test_wait_returns_at_once_for_a_finished_run(client: Client, two_steps: Flow[Any]) -> None:
    handle = client.start(two_steps, {})
    assert handle.cancel().status == "cancelled"
    started = time.monotonic()
    assert handle.wait(timeout=5, poll_interval=NO_POLL).status == "cancelled"
    assert time.monotonic() - started < 1.0
    details = handle.get_run()
    assert {s.status for s in details.steps} == {"cancelled"}


def test_wait_raises_a_timeout_error_naming_the_run(client: Client, two_steps: Flow[Any]) -> None:
    handle = client.start(two_steps, {})
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as caught:
        handle.wait(timeout=0.3)
    took = time.monotonic() - started
    assert 0.3 <= took < 2.0
    assert caught.value.run_ids == (handle.run_id,)
    assert isinstance(caught.value, TimeoutError)
    assert str(handle.run_id) in str(caught.value)


def test_wait_all_reports_each_run_as_it_finishes(
    client: Client, two_steps: Flow[Any], act: Act
) -> None:
    cancelled = client.start(two_steps, {})
    failing = client.start(two_steps, {})
    seen: list[tuple[UUID, str]] = []

    def finish_both() -> None:
        cancelled.cancel()
        act("first", "fail", "boom")

    thread = later(0.2, finish_both)
    runs = client.wait_all(
        [cancelled.run_id, failing.run_id],
        timeout=10,
        poll_interval=NO_POLL,
        on_finished=lambda run_id, status: seen.append((run_id, status)),
    )
    thread.join()
    assert runs[cancelled.run_id].status == "cancelled"
    assert runs[failing.run_id].status == "failed"
    assert sorted(seen, key=lambda s: s[1]) == [
        (cancelled.run_id, "cancelled"),
        (failing.run_id, "failed"),
    ]


def test_get_run_has_timings_attempts_and_outputs(
    client: Client, two_steps: Flow[Any], act: Act
) -> None:
    handle = client.start(two_steps, {"n": 3})
    act("first", "complete", {"n": 3})
    act("second", "complete", 42)
    details = handle.get_run()
    assert details.status == "completed"
    assert details.output == {"second": 42}
    first = details.step("first")
    assert first.output == {"n": 3}
    assert first.duration is not None
    assert details.attempts("first") == 1
    assert details.run.duration is not None
    assert details.run.finished
    with pytest.raises(KeyError):
        details.step("nope")


def test_an_unreachable_database_is_reported_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailableError, match="cannot connect"):
        Client("postgresql://nobody@127.0.0.1:1/none", connect_timeout=2)
    assert time.monotonic() - started < 10


def test_wait_survives_its_connection_being_killed(
    client: Client,
    two_steps: Flow[Any],
    act: Act,
    conn: psycopg.Connection[TupleRow],
) -> None:
    handle = client.start(two_steps, {})
    result: list[Run] = []
    waiter = threading.Thread(target=lambda: result.append(handle.wait(timeout=20)))
    waiter.start()
    time.sleep(0.3)
    # Every session but this one (which `act` uses): the waiter's LISTEN too.
    killed = conn.execute(
        "select count(pg_terminate_backend(pid)) from pg_stat_activity"
        " where datname = current_database() and pid <> pg_backend_pid()"
    ).fetchone()
    assert killed is not None
    assert killed[0] >= 1
    time.sleep(0.3)
    act("first", "complete", 1)
    act("second", "complete", 2)
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert [run.status for run in result] == ["completed"]
