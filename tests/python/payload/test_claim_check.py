"""The claim-check recipe: a large output lives in a store, the database keeps a reference."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from pgflow import Client, Flow, deploy_flow
from pgflow.jsonb import JsonValue
from pgflow.payload import Payloads
from pgflow.payload.claimcheck import ClaimCheckCodec, LocalDirectoryStore
from pgflow.run.worker import Worker, WorkerOptions

BIG = "y" * 200_000

flow = Flow("test_claim_check", max_attempts=1, timeout=30)
received: list[int] = []


@flow.step()
def produce(run: JsonValue) -> JsonValue:
    return {"blob": BIG, "small": 1}


@flow.step(produce)
def consume(run: JsonValue, produce: JsonValue) -> JsonValue:
    produced = produce
    assert isinstance(produced, dict)
    assert produced["blob"] == BIG
    blob = produced["blob"]
    assert isinstance(blob, str)
    received.append(len(blob))
    return len(blob)


def test_a_large_output_round_trips_through_the_store(
    conn: psycopg.Connection[TupleRow], database_url: str, tmp_path: Path
) -> None:
    deploy_flow(conn, flow)
    store = LocalDirectoryStore(tmp_path / "store")
    payloads = Payloads(outputs=ClaimCheckCodec(store, threshold=10_000))
    worker = Worker([flow], database_url, options=WorkerOptions(poll_interval=1), payloads=payloads)
    thread = threading.Thread(target=lambda: worker.run(install_signal_handlers=False))
    thread.start()
    try:
        assert worker.wait_started(20)
        with Client(database_url, payloads=payloads) as client:
            final = client.start(flow, {}).wait(timeout=60)
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert final.status == "completed"
    assert final.output == {"consume": 200_000}
    assert received == [200_000]
    row = conn.execute(
        "select output from pgflow.step_states where step_slug = 'produce'"
    ).fetchone()
    assert row is not None
    assert row[0]["$pgflow"] == "claim_check"
    assert row[0]["bytes"] > 200_000
    assert len(list((tmp_path / "store").iterdir())) == 1
