"""The client's day-2 calls on a real server: retry, attempts, due times, retire, list, prune."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import (
    Client,
    Flow,
    FlowNotFoundError,
    FlowRetiredError,
    InvalidOptionError,
    RunNotFoundError,
    RunNotRetryableError,
    StepNotFoundError,
    TaskAttempt,
    deploy_flow,
)


class Hand(Protocol):
    def complete(self, run_id: UUID, step_slug: str, output: object, index: int = 0) -> None: ...

    def fail(
        self,
        run_id: UUID,
        step_slug: str,
        error: str,
        index: int = 0,
        detail: str | None = None,
    ) -> None: ...


@pytest.fixture
def mapped(conn: psycopg.Connection[TupleRow]) -> Flow[Any]:
    """``mapped``: a root map step ``double`` over the input array, then ``total``."""
    flow = Flow("mapped", max_attempts=1, timeout=30)
    flow.add_step("double", lambda n: n * 2, map=True)
    flow.add_step("total", lambda run, double: sum(double), depends_on=["double"])
    deploy_flow(conn, flow)
    return flow


@pytest.fixture
def retrying(conn: psycopg.Connection[TupleRow]) -> Flow[Any]:
    """``retrying``: one step with three attempts and a 30 s base delay."""
    flow = Flow("retrying", max_attempts=3, base_delay=30, timeout=30)
    flow.add_step("flaky", lambda run: run)
    deploy_flow(conn, flow)
    return flow


def outcomes(attempts: tuple[TaskAttempt, ...]) -> list[tuple[str, int, int, str]]:
    return [(a.step_slug, a.task_index, a.attempt, a.outcome) for a in attempts]


def test_retry_resumes_a_failed_run_and_keeps_completed_steps(
    client: Client, two_steps: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(two_steps, {"n": 1}).run_id
    hand.complete(run_id, "first", {"n": 1})
    hand.fail(run_id, "second", "boom")
    assert client.get_run_row(run_id).status == "failed"

    handle = client.retry(run_id)
    assert handle.run_id == run_id
    assert handle.flow_slug == "two_steps"
    hand.complete(run_id, "second", "ok")
    final = handle.wait(timeout=10)

    assert final.status == "completed"
    assert final.retry_count == 1
    assert final.retried_at is not None
    assert outcomes(handle.attempts()) == [
        ("first", 0, 1, "completed"),
        ("second", 0, 1, "failed"),
        ("second", 0, 2, "completed"),
    ]


def test_retry_resumes_a_map_step_without_rerunning_completed_elements(
    client: Client, mapped: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(mapped, [1, 2, 3]).run_id
    hand.complete(run_id, "double", 2, index=0)
    hand.complete(run_id, "double", 6, index=2)
    hand.fail(run_id, "double", "element 1 broke", index=1)
    assert client.get_run_row(run_id).status == "failed"

    client.retry(run_id)
    hand.complete(run_id, "double", 4, index=1)
    hand.complete(run_id, "total", 12)

    assert client.wait(run_id, timeout=10).output == {"total": 12}
    assert outcomes(client.attempts(run_id)) == [
        ("double", 0, 1, "completed"),
        ("double", 1, 1, "failed"),
        ("double", 1, 2, "completed"),
        ("double", 2, 1, "completed"),
        ("total", 0, 1, "completed"),
    ]


def test_retry_from_a_step_reruns_it_and_what_is_downstream_of_a_completed_run(
    client: Client, two_steps: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(two_steps, {"n": 1}).run_id
    hand.complete(run_id, "first", {"n": 1})
    hand.complete(run_id, "second", "bad output")
    assert client.wait(run_id, timeout=10).output == {"second": "bad output"}

    handle = client.retry(run_id, from_steps=["second"])
    assert handle.status().status == "started"
    hand.complete(run_id, "second", "good output")

    assert handle.wait(timeout=10).output == {"second": "good output"}
    assert outcomes(handle.attempts()) == [
        ("first", 0, 1, "completed"),
        ("second", 0, 1, "superseded"),
        ("second", 0, 2, "completed"),
    ]


def test_retry_of_a_running_run_raises_run_not_retryable(
    client: Client, two_steps: Flow[Any]
) -> None:
    run_id = client.start(two_steps, {}).run_id
    with pytest.raises(RunNotRetryableError, match="still running") as caught:
        client.retry(run_id)
    assert caught.value.sqlstate == "PF019"


def test_resuming_a_completed_run_raises_run_not_retryable(
    client: Client, two_steps: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(two_steps, {}).run_id
    hand.complete(run_id, "first", 1)
    hand.complete(run_id, "second", 2)
    with pytest.raises(RunNotRetryableError, match="nothing to resume"):
        client.retry(run_id)


def test_retry_names_an_unknown_step_or_run_or_no_step(
    client: Client, two_steps: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(two_steps, {}).run_id
    hand.fail(run_id, "first", "boom")
    with pytest.raises(StepNotFoundError, match="no_such_step"):
        client.retry(run_id, from_steps=["no_such_step"])
    with pytest.raises(InvalidOptionError, match="at least one step"):
        client.retry(run_id, from_steps=[])
    with pytest.raises(RunNotFoundError):
        client.retry(UUID(int=1))


def test_a_retired_flow_refuses_new_runs_until_unretired(
    client: Client, two_steps: Flow[Any]
) -> None:
    info = client.retire(two_steps)
    assert info.retired
    assert info.retired_at is not None
    assert client.flow_info("two_steps").retired_at == info.retired_at

    with pytest.raises(FlowRetiredError, match="flow 'two_steps' is retired") as caught:
        client.start(two_steps, {})
    assert caught.value.sqlstate == "PF018"

    assert not client.unretire("two_steps").retired
    assert client.start(two_steps, {}).run_id


def test_a_run_of_a_retired_flow_can_still_be_retried(
    client: Client, two_steps: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(two_steps, {}).run_id
    hand.fail(run_id, "first", "boom")
    client.retire(two_steps)
    assert client.retry(run_id).status().status == "started"
    assert client.flow_info(two_steps).runs_in_flight == 1


def test_flow_info_of_an_unknown_flow_raises_flow_not_found(client: Client) -> None:
    with pytest.raises(FlowNotFoundError):
        client.flow_info("nope")
    with pytest.raises(FlowNotFoundError):
        client.retire("nope")


def test_get_run_holds_every_attempt_with_its_error_and_traceback(
    client: Client, retrying: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(retrying, {}).run_id
    hand.fail(run_id, "flaky", "ValueError: no", detail="Traceback (most recent call last):\n  x")

    details = client.get_run(run_id)
    (attempt,) = details.attempts_of("flaky")
    assert (attempt.attempt, attempt.outcome) == (1, "failed")
    assert attempt.error_message == "ValueError: no"
    assert attempt.error_detail is not None
    assert attempt.error_detail.startswith("Traceback")
    assert attempt.worker_id is not None


def test_get_run_says_when_a_retrying_step_becomes_due(
    client: Client, retrying: Flow[Any], hand: Hand
) -> None:
    run_id = client.start(retrying, {}).run_id
    hand.fail(run_id, "flaky", "boom")

    details = client.get_run(run_id)
    due = details.due_at("flaky")
    assert details.read_at is not None
    assert due is not None
    assert timedelta(seconds=20) < due - details.read_at <= timedelta(seconds=30)


def test_list_runs_filters_by_flow_status_and_since(
    client: Client, two_steps: Flow[Any], hand: Hand
) -> None:
    failed = client.start(two_steps, {}).run_id
    hand.fail(failed, "first", "boom")
    started = client.start(two_steps, {}).run_id

    assert [r.run_id for r in client.list_runs()] == [started, failed]
    assert [r.run_id for r in client.list_runs(status="failed")] == [failed]
    assert [r.run_id for r in client.list_runs(status=["started", "failed"], limit=1)] == [started]
    assert client.list_runs(flow="other") == []
    assert len(client.list_runs(since=timedelta(hours=1))) == 2
    newest = client.get_run_row(started).started_at
    assert [r.run_id for r in client.list_runs(since=newest)] == [started]


def test_prune_deletes_old_finished_runs_in_batches(
    client: Client,
    conn: psycopg.Connection[TupleRow],
    two_steps: Flow[Any],
    hand: Hand,
) -> None:
    finished = []
    for _ in range(5):
        run_id = client.start(two_steps, {}).run_id
        hand.fail(run_id, "first", "boom")
        finished.append(run_id)
    running = client.start(two_steps, {}).run_id
    conn.execute("select pgflow.set_test_clock(now() + interval '2 days')")
    batches: list[tuple[int, int]] = []

    result = client.prune(
        timedelta(days=1), batch_size=2, on_batch=lambda n, total: batches.append((n, total))
    )

    assert (result.runs, result.batches) == (5, 3)
    assert batches == [(2, 2), (2, 4), (1, 5)]
    assert [r.run_id for r in client.list_runs()] == [running]


def test_prune_stops_at_max_runs(
    client: Client,
    conn: psycopg.Connection[TupleRow],
    two_steps: Flow[Any],
    hand: Hand,
) -> None:
    for _ in range(3):
        run_id = client.start(two_steps, {}).run_id
        hand.fail(run_id, "first", "boom")
    conn.execute("select pgflow.set_test_clock(now() + interval '2 days')")

    assert client.prune(timedelta(days=1), max_runs=2, batch_size=10).runs == 2
    assert len(client.list_runs()) == 1


def test_workers_lists_the_steps_each_serves(client: Client, hand: Hand) -> None:
    (worker,) = client.workers()
    assert worker.state == "live"
    assert worker.stopped_at is None
    assert worker.steps == []
