"""Worker pieces of execution fidelity that need no database: stop signals,
traceback bounds, JSON log lines and trace spans."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from psycopg.rows import TupleRow

from pgflow import Client, Flow, deploy_flow
from pgflow.payload import CodecContext, Payloads
from pgflow.payload.crypto import EncryptionCodec
from pgflow.run.rows import ClaimedTask
from pgflow.run.worker import JsonFormatter, TaskContext, Worker, WorkerOptions, current_task
from pgflow.run.worker.context import reset_current, set_current
from pgflow.run.worker.executor import HandlerExecutor, Outcome
from pgflow.run.worker.reporter import MAX_ERROR_DETAIL, bounded_detail


def context() -> TaskContext:
    return TaskContext(
        worker_id=uuid.uuid4(),
        run_id=uuid.uuid4(),
        flow_slug="f",
        step_slug="s",
        task_index=0,
        attempt=1,
        lease_expires_at=datetime.now(UTC),
    )


def claimed(step_slug: str = "s") -> ClaimedTask:
    return ClaimedTask(
        run_id=uuid.uuid4(),
        flow_slug="f",
        step_slug=step_slug,
        task_index=0,
        attempt=1,
        input={"run": {}},
        lease_expires_at=datetime.now(UTC),
    )


def run_one(
    flow: Flow[Any],
    slug: str,
    *,
    stop_after_start: bool = False,
    task: ClaimedTask | None = None,
    payloads: Payloads | None = None,
) -> Outcome:
    """Run one handler of ``flow`` in a HandlerExecutor; optionally tell it to stop."""
    outcomes: list[Outcome] = []
    done = threading.Event()
    contexts: list[TaskContext] = []

    def on_done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        done.set()

    executor = HandlerExecutor(
        worker_id=uuid.uuid4(),
        concurrency=1,
        max_error_length=1000,
        on_done=on_done,
        on_started=lambda _task, ctx: contexts.append(ctx),
        payloads=payloads,
    )
    try:
        executor.submit(task or claimed(slug), flow.get_step(slug))
        if stop_after_start:
            contexts[0].stop("cancelled")
        assert done.wait(10), "the handler did not end"
    finally:
        executor.shutdown(wait=True)
    return outcomes[0]


def test_a_context_is_told_to_stop_once_with_its_reason() -> None:
    task = context()
    called: list[str] = []
    task.on_stop(lambda: called.append("stop"))
    assert not task.cancelled
    assert not task.should_stop()
    assert task.stop_reason is None
    assert task.stop("timed_out") is True
    assert task.stop("cancelled") is False
    assert task.cancelled
    assert task.should_stop()
    assert task.stop_reason == "timed_out"
    assert task.wait_stopped(0) is True
    assert called == ["stop"]


def test_a_sync_handler_sees_the_stop_flag_and_its_outcome_carries_the_reason() -> None:
    flow = Flow("f")
    started = threading.Event()

    @flow.step(slug="s")
    def waits(_: object) -> str:
        started.set()
        return "stopped" if current_task().wait_stopped(10) else "timed out waiting"

    outcome = run_one(flow, "s", stop_after_start=True)
    assert started.is_set()
    assert outcome.ok
    assert outcome.output_json == '"stopped"'
    assert outcome.stop_reason == "cancelled"


def test_an_async_handler_is_cancelled_at_its_next_await() -> None:
    flow = Flow("f")

    @flow.step(slug="s")
    async def sleeps(_: object) -> str:
        await asyncio.sleep(10)
        return "slept"

    outcome = run_one(flow, "s", stop_after_start=True)
    assert outcome.error == "CancelledError"
    assert outcome.stop_reason == "cancelled"


def test_a_traceback_is_bounded_from_its_end() -> None:
    text = (
        "Traceback (most recent call last):\n" + "x" * (2 * MAX_ERROR_DETAIL) + "\nValueError: end"
    )
    bounded = bounded_detail(text)
    assert bounded is not None
    assert len(bounded) == MAX_ERROR_DETAIL
    assert bounded.startswith("[truncated] ...\n")
    assert bounded.endswith("\nValueError: end")
    assert bounded_detail("a\x00b") == "a\\x00b"
    assert bounded_detail(None) is None


def test_json_log_lines_are_one_object_with_the_running_task() -> None:
    formatter = JsonFormatter()
    task = context()
    token = set_current(task)
    try:
        record = logging.LogRecord(
            "pgflow.worker", logging.WARNING, __file__, 1, "x %s", ("y",), None
        )
        record.custom = {"k": 1}
        line = formatter.format(record)
    finally:
        reset_current(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["logger"] == "pgflow.worker"
    assert entry["message"] == "x y"
    assert entry["run_id"] == str(task.run_id)
    assert (entry["step_slug"], entry["attempt"]) == ("s", 1)
    assert entry["custom"] == {"k": 1}


@pytest.fixture(scope="module")
def spans() -> Any:
    # the SDK is a dev dependency: the tests exercise what an application configures
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def test_each_task_execution_is_a_span_with_its_outcome(spans: Any) -> None:
    flow = Flow("f")
    flow.add_step("ok", lambda _: 1)

    @flow.step()
    def bad(_: object) -> None:
        raise ValueError("no")

    spans.clear()
    run_one(flow, "ok")
    run_one(flow, "bad")
    finished = {span.name: span for span in spans.get_finished_spans()}
    ok, failed = finished["pgflow.task f/ok"], finished["pgflow.task f/bad"]
    assert ok.attributes["pgflow.outcome"] == "completed"
    assert ok.attributes["pgflow.attempt"] == 1
    assert ok.attributes["pgflow.step_slug"] == "ok"
    assert failed.attributes["pgflow.outcome"] == "failed"
    assert failed.status.status_code.name == "ERROR"


def test_handler_spans_join_the_trace_of_whoever_started_the_run(
    spans: Any, conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow = Flow("traced")
    flow.add_step("only", lambda _: 1)
    deploy_flow(conn, flow)
    worker = Worker([flow], database_url, options=WorkerOptions(poll_interval=5, grace_period=5))
    spans.clear()
    thread = threading.Thread(target=worker.run, kwargs={"install_signal_handlers": False})
    thread.start()
    try:
        assert worker.wait_started(20)
        with Client(database_url) as client:
            with trace.get_tracer("test").start_as_current_span("caller") as caller:
                handle = client.start(flow, {})
            assert handle.wait(timeout=20).status == "completed"
    finally:
        worker.stop()
        thread.join(20)
    stored = conn.execute("select trace_context from pgflow.runs").fetchone()
    assert stored is not None
    assert "traceparent" in stored[0], "the run keeps the caller's context"
    task = next(s for s in spans.get_finished_spans() if s.name == "pgflow.task traced/only")
    assert task.context.trace_id == caller.get_span_context().trace_id
    assert task.parent.span_id == caller.get_span_context().span_id


def test_a_failed_span_carries_no_secret_of_its_task(spans: Any) -> None:
    payloads = Payloads(secrets=EncryptionCodec({"k": os.urandom(32)}))
    secret = "SECRET-" + uuid.uuid4().hex
    flow = Flow("f")

    @flow.step()
    def leaky(run: Any) -> None:
        raise ValueError(f"refused {run['token']}")

    sealed = payloads.secrets.encode(secret, CodecContext("f")) if payloads.secrets else None
    task = dataclasses.replace(claimed("leaky"), input={"run": {"token": sealed}})
    spans.clear()
    outcome = run_one(flow, "leaky", task=task, payloads=payloads)
    assert outcome.error is not None
    assert "[redacted]" in outcome.error
    (span,) = [s for s in spans.get_finished_spans() if s.name == "pgflow.task f/leaky"]
    recorded = repr(span.status.description) + repr([e.attributes for e in span.events])
    assert secret not in recorded
    assert "[redacted]" in recorded
