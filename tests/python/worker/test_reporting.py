"""What the worker retries, and how a report the server refuses stays confined to its task.

The reporter runs against a real database here: tasks are claimed with
``claim_tasks`` and their outcomes handed to a :class:`Reporter`, so every
refusal below is the server's own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from pgflow import Flow, deploy_flow, queries
from pgflow.errors import AttemptNotClaimedError, translate
from pgflow.run.retry import is_transient
from pgflow.run.rows import ClaimedTask, row_cursor
from pgflow.run.worker.executor import Outcome
from pgflow.run.worker.reporter import Reporter

DEEP_ARRAY = "[" * 200_000 + "]" * 200_000
"""Valid JSON text nested deeper than the server's stack allows: jsonb refuses
it with 54001 (statement_too_complex, class 54 "program limit exceeded"), the
class psycopg maps to OperationalError, as it does a jsonb over 256 MB."""


@pytest.fixture
def pool(database_url: str) -> Iterator[ConnectionPool[Any]]:
    with ConnectionPool(
        database_url, min_size=1, max_size=2, kwargs={"autocommit": True}, open=True
    ) as opened:
        yield opened


@pytest.fixture
def one_step(conn: psycopg.Connection[TupleRow]) -> Flow[Any]:
    """``one_step``: a single root step, one attempt (handlers are not run here)."""
    flow = Flow("one_step", max_attempts=1, timeout=60)
    flow.add_step("only", lambda run: run)
    deploy_flow(conn, flow)
    return flow


def claim(conn: psycopg.Connection[TupleRow], runs: int) -> list[ClaimedTask]:
    """Start ``runs`` runs of ``one_step`` and claim their tasks, as a worker does."""
    run_ids = [
        conn.execute("select run_id from pgflow.start_flow('one_step', '{}')").fetchone()
        for _ in range(runs)
    ]
    assert all(run_ids)
    worker_id = uuid.uuid4()
    conn.execute("select pgflow.register_worker(%s)", (worker_id,))
    with row_cursor(conn, ClaimedTask) as cur:
        tasks = cur.execute(
            queries.CLAIM_TASKS,
            {"worker_id": worker_id, "max_tasks": runs, "flow_slugs": ["one_step"]},
        ).fetchall()
    assert len(tasks) == runs
    return tasks


def succeeded(task: ClaimedTask, output_json: str) -> Outcome:
    return Outcome(task=task, output_json=output_json, error=None, traceback=None, seconds=0.0)


def failed(task: ClaimedTask, error: str) -> Outcome:
    return Outcome(task=task, output_json=None, error=error, traceback=None, seconds=0.0)


def report(pool: ConnectionPool[Any], outcomes: list[Outcome]) -> tuple[Reporter, float]:
    """Queue every outcome, then let one reporter send them (as one batch); return it and
    the seconds it took to drain."""
    reporter = Reporter(pool, flush_delay=0.0, max_batch=100, max_error_length=10_000)
    for outcome in outcomes:
        reporter.put(outcome)
    started = time.monotonic()
    reporter.start()
    assert reporter.close(time.monotonic() + 30), "the reporter did not drain"
    return reporter, time.monotonic() - started


def task_state(conn: psycopg.Connection[TupleRow], task: ClaimedTask) -> tuple[Any, ...]:
    row = conn.execute(
        "select status, error_message from pgflow.step_tasks"
        " where run_id = %s and step_slug = %s and task_index = %s",
        (task.run_id, task.step_slug, task.task_index),
    ).fetchone()
    assert row is not None
    return tuple(row)


# -- what is retried ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sqlstate", "retried"),
    [
        ("08000", True),  # connection_exception
        ("08006", True),  # connection_failure
        ("57P01", True),  # admin_shutdown
        ("57P02", True),  # crash_shutdown
        ("57P03", True),  # cannot_connect_now
        ("53300", True),  # too_many_connections
        ("40001", True),  # serialization_failure
        ("40P01", True),  # deadlock_detected
        ("54000", False),  # program_limit_exceeded (a jsonb over 256 MB)
        ("54001", False),  # statement_too_complex
        ("53100", False),  # disk_full
        ("53200", False),  # out_of_memory
        ("55000", False),  # object_not_in_prerequisite_state
        ("55P03", False),  # lock_not_available
        ("57014", False),  # query_canceled (statement_timeout)
        ("22P05", False),  # untranslatable_character
        ("23505", False),  # unique_violation
        ("42501", False),  # insufficient_privilege
        ("XX000", False),  # internal_error
        ("PF017", False),  # pgflow: attempt never claimed
    ],
)
def test_only_connection_errors_and_rolled_back_transactions_are_retried(
    conn: psycopg.Connection[TupleRow], sqlstate: str, retried: bool
) -> None:
    raise_it = sql.SQL("do $$ begin raise exception using errcode = {}; end $$").format(
        sql.Literal(sqlstate)
    )
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(raise_it)
    assert caught.value.sqlstate == sqlstate
    assert is_transient(caught.value) is retried


def test_a_connection_failing_on_the_client_side_is_retried() -> None:
    # Nothing listens on port 1: libpq fails without any SQLSTATE, as it does
    # when a connection drops mid-call.
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect("postgresql://127.0.0.1:1/none", connect_timeout=2)
    assert caught.value.sqlstate is None
    assert is_transient(caught.value)


def test_a_pool_timeout_is_retried(database_url: str) -> None:
    with ConnectionPool(database_url, min_size=1, max_size=1, open=True) as small:
        held = small.getconn()
        try:
            with pytest.raises(PoolTimeout) as caught:
                small.getconn(timeout=0.1)
        finally:
            small.putconn(held)
    assert is_transient(caught.value)


def test_reported_outputs_arrive_byte_for_byte_whatever_they_escape(
    conn: psycopg.Connection[TupleRow], pool: ConnectionPool[Any], one_step: Flow[Any]
) -> None:
    # the outputs travel as a binary text[] cast to jsonb[]: quotes, backslashes,
    # braces, commas, escapes and non-ASCII text must survive as in the text format
    texts = [
        '{"q": "say \\"hi\\"", "b": "C:\\\\dir\\\\", "set": "{a,b}", "nul": "\\u00e9"}',
        '["\u00e9t\u00e9 \u2603 \U0001f600", "NULL", "", ",", "}", "{"]',
        '"' + 'x\\"y' * 500 + '"',
        "null",
    ]
    tasks = claim(conn, len(texts))
    report(pool, [succeeded(task, text) for task, text in zip(tasks, texts, strict=True)])
    for task, text in zip(tasks, texts, strict=True):
        row = conn.execute(
            "select output = %s::jsonb from pgflow.step_tasks"
            " where run_id = %s and step_slug = %s and task_index = %s",
            [text, task.run_id, task.step_slug, task.task_index],
        ).fetchone()
        assert row == (True,), text


# -- refused reports ---------------------------------------------------------------------


def test_an_output_the_server_refuses_fails_its_task_and_the_rest_of_the_batch_completes(
    conn: psycopg.Connection[TupleRow], pool: ConnectionPool[Any], one_step: Flow[Any]
) -> None:
    good, bad, other = claim(conn, 3)
    # A U+0000 escape is valid JSON that jsonb refuses (22P05). The worker's
    # encoder refuses it before sending; a report carrying it anyway stands for
    # any output the server turns down.
    reporter, _ = report(
        pool, [succeeded(good, '"ok"'), succeeded(bad, '"a\\u0000b"'), succeeded(other, "1")]
    )

    assert task_state(conn, good) == ("completed", None)
    assert task_state(conn, other) == ("completed", None)
    status, error = task_state(conn, bad)
    assert status == "failed"
    assert error.startswith(
        "OutputError: the database refused the output (22P05: unsupported Unicode escape sequence"
    )
    assert reporter.lost == 0


def test_a_program_limit_error_on_a_completion_fails_the_task_at_once(
    conn: psycopg.Connection[TupleRow], pool: ConnectionPool[Any], one_step: Flow[Any]
) -> None:
    (task,) = claim(conn, 1)
    reporter, seconds = report(pool, [succeeded(task, DEEP_ARRAY)])

    status, error = task_state(conn, task)
    assert status == "failed"
    assert error.startswith(
        "OutputError: the database refused the output (54001: stack depth limit exceeded"
    )
    assert seconds < 10  # not retried as if the connection had dropped
    assert reporter.lost == 0


def test_a_failure_the_server_refuses_is_dropped_and_later_results_are_reported(
    conn: psycopg.Connection[TupleRow], pool: ConnectionPool[Any], one_step: Flow[Any]
) -> None:
    (task,) = claim(conn, 1)
    unknown_run = ClaimedTask(
        run_id=uuid.uuid4(),
        flow_slug=task.flow_slug,
        step_slug=task.step_slug,
        task_index=0,
        attempt=1,
        input={},
        lease_expires_at=task.lease_expires_at,
    )
    reporter, seconds = report(
        pool, [failed(unknown_run, "ValueError: lost"), succeeded(task, '"after"')]
    )

    assert task_state(conn, task) == ("completed", None)
    assert reporter.refused == 1
    assert seconds < 10


def test_a_completion_naming_an_attempt_never_claimed_raises_attempt_not_claimed(
    conn: psycopg.Connection[TupleRow], one_step: Flow[Any]
) -> None:
    (task,) = claim(conn, 1)
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(
            "select pgflow.complete_task(%s, %s, '1', %s, %s)",
            (task.run_id, task.step_slug, task.task_index, task.attempt + 1),
        )
    error = translate(caught.value)
    assert isinstance(error, AttemptNotClaimedError)
    assert error.sqlstate == "PF017"
    assert task_state(conn, task) == ("started", None)


def test_an_attempt_never_claimed_in_a_batch_does_not_block_the_other_completions(
    conn: psycopg.Connection[TupleRow], pool: ConnectionPool[Any], one_step: Flow[Any]
) -> None:
    first, second = claim(conn, 2)
    forged = ClaimedTask(
        run_id=second.run_id,
        flow_slug=second.flow_slug,
        step_slug=second.step_slug,
        task_index=second.task_index,
        attempt=second.attempt + 5,
        input={},
        lease_expires_at=second.lease_expires_at,
    )
    reporter, _ = report(pool, [succeeded(first, '"one"'), succeeded(forged, '"forged"')])

    assert task_state(conn, first) == ("completed", None)
    # Refused by pgflow (PF017): neither completed nor failed by this report.
    assert task_state(conn, second) == ("started", None)
    assert reporter.refused == 1
