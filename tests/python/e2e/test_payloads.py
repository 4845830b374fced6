"""A worker never dies from data: hostile inputs and outputs fail their own task only.

Each test runs a real ``pgflow worker`` process over runs of
``payload_flows.py:Payloads`` (one step, one attempt) and checks that the task
carrying the bad payload fails with a message naming the cause, that the
other runs complete, and that the same process is still serving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Client, deploy_flow, load_flow
from pgflow.tools.testing import WorkerProcess

FLOW_REF = f"{Path(__file__).resolve().with_name('payload_flows.py')}:Payloads"

DEEP = "[" * 2000 + "]" * 2000
"""Valid jsonb nested deeper than Python's JSON decoder goes."""

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def payloads(conn: psycopg.Connection[TupleRow]) -> None:
    deploy_flow(conn, load_flow(FLOW_REF))


@pytest.fixture
def worker(database_url: str) -> Iterator[StartWorker]:
    """``worker("--max-output-bytes", "1000")``: one worker process serving ``Payloads``."""
    started: list[WorkerProcess] = []

    def start(*options: str) -> WorkerProcess:
        process = WorkerProcess(
            [FLOW_REF], database_url, options=["--poll-interval", "5", *options]
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        print(f"--- log of worker {process.pid} ---\n{process.log_text()}")
        process.close()


def start_raw(conn: psycopg.Connection[TupleRow], input_json: str) -> UUID:
    """Start a run with ``input_json`` as the server reads it (no Python encoding on the way)."""
    row = conn.execute(
        "select run_id from pgflow.start_flow('test_payloads', %s::jsonb)", (input_json,)
    ).fetchone()
    assert row is not None
    run_id: UUID = row[0]
    return run_id


def task_error(client: Client, run_id: UUID) -> str:
    (task,) = client.get_run(run_id).tasks
    assert task.status == "failed"
    return task.error_message or ""


def test_an_input_python_cannot_decode_fails_its_task_and_the_worker_serves_on(
    conn: psycopg.Connection[TupleRow], payloads: None, worker: StartWorker, client: Client
) -> None:
    # Both runs exist before the worker starts, so one claim returns both tasks.
    poisoned = start_raw(conn, DEEP)
    healthy = start_raw(conn, "{}")
    process = worker()

    finished = client.wait_all([poisoned, healthy], timeout=30)
    later = client.start("test_payloads", {}).wait(timeout=30)

    assert finished[poisoned].status == "failed"
    assert task_error(client, poisoned).startswith(
        "InputError: input could not be decoded: JSON nested deeper than the decoder allows"
    )
    assert finished[healthy].status == "completed"
    assert later.status == "completed"
    assert process.poll() is None, process.log_text()
    assert "claim loop crashed" not in process.log_text()


def test_an_output_over_max_output_bytes_fails_its_task_before_it_is_sent(
    payloads: None, worker: StartWorker, client: Client
) -> None:
    process = worker("--max-output-bytes", "1000")

    big = client.start("test_payloads", {"size": 5000})
    small = client.start("test_payloads", {"size": 10})
    finished = client.wait_all([big.run_id, small.run_id], timeout=30)

    assert finished[big.run_id].status == "failed"
    assert task_error(client, big.run_id) == (
        "OutputTooLarge: the handler's output is 5002 bytes, over the worker's limit of 1000"
        " (--max-output-bytes)"
    )
    assert finished[small.run_id].status == "completed"
    assert finished[small.run_id].output == {"shape": "x" * 10}
    assert process.poll() is None, process.log_text()


def test_a_result_the_database_refuses_fails_its_task_and_the_others_complete(
    conn: psycopg.Connection[TupleRow], payloads: None, worker: StartWorker, client: Client
) -> None:
    # Stands for a jsonb over 256 MB: the server refuses this output with
    # class 54 (program limit exceeded), which psycopg reports as an
    # OperationalError like a lost connection.
    conn.execute(
        """
        create function test_refuse_output() returns trigger language plpgsql as $$
        begin
            if new.output @> '{"refuse": true}' then
                raise exception using errcode = '54000',
                    message = 'total size of jsonb object elements exceeds the maximum';
            end if;
            return new;
        end $$
        """
    )
    conn.execute(
        "create trigger test_refuse_output before update on pgflow.step_tasks"
        " for each row execute function test_refuse_output()"
    )
    runs = [start_raw(conn, '{"output": {"refuse": true}}')]
    runs += [start_raw(conn, f'{{"output": {n}}}') for n in range(5)]
    process = worker()

    finished = client.wait_all(runs, timeout=30)

    assert finished[runs[0]].status == "failed"
    assert task_error(client, runs[0]) == (
        "OutputError: the database refused the output"
        " (54000: total size of jsonb object elements exceeds the maximum)"
    )
    assert [finished[r].output for r in runs[1:]] == [{"shape": n} for n in range(5)]
    assert process.poll() is None, process.log_text()
