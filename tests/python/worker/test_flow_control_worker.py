"""Workers under flow control: two embedded workers with room for 8 tasks obey a limit of 2.

The limit holds across both workers (at most two handlers of the step run at
once, whatever each worker's free slots), and the run finishes promptly with
a 5 s poll interval: a freed slot's notification wakes the workers, which
back off instead of spinning when their claim comes back short.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg
from psycopg.rows import TupleRow

from pgflow import Client, Flow, deploy_flow
from pgflow.run.worker import Worker, WorkerOptions


@contextmanager
def running(worker: Worker, timeout: float = 20) -> Iterator[None]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            worker.run(install_signal_handlers=False)
        except BaseException as error:  # surfaced below
            errors.append(error)

    thread = threading.Thread(target=target, name="limited-worker")
    thread.start()
    try:
        assert worker.wait_started(timeout) or errors, "worker did not start"
        yield
    finally:
        worker.stop()
        thread.join(timeout)
    if errors:
        raise errors[0]


def test_two_workers_never_run_more_handlers_than_the_step_concurrency(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow: Flow[list[int]] = Flow("limited_worker_flow")
    lock = threading.Lock()
    running_now = {"n": 0, "peak": 0}

    @flow.map(concurrency=2)
    def each(item: int) -> int:
        with lock:
            running_now["n"] += 1
            running_now["peak"] = max(running_now["peak"], running_now["n"])
        time.sleep(0.05)
        with lock:
            running_now["n"] -= 1
        return item

    deploy_flow(conn, flow)
    options = WorkerOptions(poll_interval=5, heartbeat_interval=0.2, grace_period=5, concurrency=4)
    workers = [Worker([flow], database_url, options=options) for _ in range(2)]
    with ExitStack() as stack:
        for worker in workers:
            stack.enter_context(running(worker))
        with Client(database_url) as client:
            started = time.monotonic()
            run = client.start(flow, list(range(12))).wait(timeout=15)
            elapsed = time.monotonic() - started

    assert run.status == "completed"
    assert run.output == {"each": list(range(12))}
    assert running_now["peak"] == 2, running_now
    assert elapsed < 5, f"took {elapsed:.1f} s: freed slots should wake the workers"
