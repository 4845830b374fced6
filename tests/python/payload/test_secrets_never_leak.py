"""Secrets end to end: a real worker process, then every place a secret could leak.

The run input's secrets, a step's secret output and an exception message
holding a secret must never appear in any pgflow table (a full ``pg_dump``),
in the worker's log, in an error message or in a NOTIFY payload, while
handlers see plain values and the client reads the run's output in clear.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from pgflow import AsyncClient, Client, deploy_flow, load_flow
from pgflow.errors import PlainSecretError
from pgflow.payload import Payloads
from pgflow.payload.crypto import EncryptionCodec
from pgflow.tools.testing import WorkerProcess

FLOWS = Path(__file__).resolve().with_name("secret_flows.py")


def pg_dump(url: str) -> str:
    """A full dump (schema and data) of the database behind ``url``."""
    pgbin = os.environ.get("PGBIN")
    binary = str(Path(pgbin) / "pg_dump") if pgbin else (shutil.which("pg_dump") or "pg_dump")
    params = conninfo_to_dict(url)
    env = {
        **os.environ,
        "PGHOST": str(params.get("host", "")),
        "PGPORT": str(params.get("port", "")),
        "PGUSER": str(params.get("user", "")),
        "PGDATABASE": str(params.get("dbname", "")),
    }
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return subprocess.run([binary], env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def keys() -> str:
    """``PGFLOW_KEYS`` with an old and a current key."""
    return ",".join(
        f"{kid}:{base64.b64encode(os.urandom(32)).decode()}" for kid in ("old", "current")
    )


@pytest.fixture
def deployed(conn: psycopg.Connection[TupleRow]) -> None:
    for name in ("Secrets", "Failing", "Bounded"):
        deploy_flow(conn, load_flow(f"{FLOWS}:{name}"))


@pytest.fixture
def worker_with_keys(database_url: str, keys: str, deployed: None) -> Iterator[WorkerProcess]:
    process = WorkerProcess(
        [f"{FLOWS}:Secrets", f"{FLOWS}:Failing", f"{FLOWS}:Bounded"],
        database_url,
        options=["--poll-interval", "1", "--log-level", "debug"],
        env={"PGFLOW_KEYS": keys},
    )
    try:
        process.start()
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        print(f"--- worker log ---\n{process.log_text()}")
        process.close()


class Notifications:
    """Every NOTIFY payload on pgflow's channels while the test runs."""

    def __init__(self, url: str) -> None:
        self.payloads: list[str] = []
        self._stop = threading.Event()
        self._conn = psycopg.connect(url, autocommit=True)
        self._conn.execute("listen pgflow_runs")
        self._conn.execute("listen pgflow_tasks")
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for notify in self._conn.notifies(timeout=0.2):
                self.payloads.append(f"{notify.channel} {notify.payload}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._conn.close()


def test_secrets_never_reach_the_database_logs_errors_or_notifications(
    database_url: str,
    keys: str,
    worker_with_keys: WorkerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "TOKEN-" + secrets.token_hex(4)
    cards = ["CARD-" + secrets.token_hex(6), "CARD-" + secrets.token_hex(6)]
    failing_token = "TOKEN-" + secrets.token_hex(8)
    monkeypatch.setenv("PGFLOW_KEYS", keys)
    listener = Notifications(database_url)
    try:
        with Client(database_url) as client:
            run = client.start("test_secrets", {"token": token, "cards": cards, "note": "plain"})
            failed = client.start("test_secret_failure", {"token": failing_token})
            final = run.wait(timeout=60)
            failure = failed.wait(timeout=60)
        time.sleep(0.5)  # the last notifications
    finally:
        listener.close()

    # handlers saw plain values (they assert it) and the client reads them in clear
    assert final.status == "completed", final
    assert final.output["last4"] == [len(card) for card in cards]
    # a condition on the plain part of "use" held, and "check" saw its secret opened
    assert final.output["check"] == "checked"
    assert final.input["token"] == token
    assert failure.status == "failed"
    assert failure.error_message is not None
    assert "[redacted]" in failure.error_message

    plaintexts = [token, *cards, f"DERIVED-{token}", failing_token]
    dump = pg_dump(database_url)
    assert "test_secrets" in dump
    assert '"$pgflow": "sealed"' in dump
    log = worker_with_keys.log_text()
    assert "[redacted]" in log  # ...and the failure was logged
    for plaintext in plaintexts:
        assert plaintext not in dump, f"{plaintext} is in the database"
        assert plaintext not in log, f"{plaintext} is in the worker log"
        assert all(plaintext not in payload for payload in listener.payloads)
    assert listener.payloads, "no notification was seen"


def test_the_database_refuses_a_secret_a_client_did_not_seal(
    deployed: None, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGFLOW_KEYS", raising=False)
    with Client(database_url) as client, pytest.raises(PlainSecretError, match="'token'"):
        client.start("test_secrets", {"token": "TOKEN-12345678", "cards": []})


def test_a_worker_with_a_wrong_key_fails_the_task_clearly_and_keeps_serving(
    deployed: None, database_url: str
) -> None:
    client_keys = Payloads(secrets=EncryptionCodec({"current": os.urandom(32)}))
    wrong = f"current:{base64.b64encode(os.urandom(32)).decode()}"
    process = WorkerProcess(
        [f"{FLOWS}:Secrets"],
        database_url,
        options=["--poll-interval", "1"],
        env={"PGFLOW_KEYS": wrong},
    )
    try:
        process.start()
        with Client(database_url, payloads=client_keys) as client:
            token = "TOKEN-" + secrets.token_hex(4)
            first = client.start("test_secrets", {"token": token, "cards": []}).wait(timeout=60)
            second = client.start("test_secrets", {"token": token, "cards": []}).wait(timeout=60)
        assert first.status == "failed"
        assert second.status == "failed"
        assert first.error_message is not None
        assert "does not open with key 'current'" in first.error_message
        assert process.poll() is None, "the worker died"
        assert token not in process.log_text()
    finally:
        process.stop()
        print(f"--- worker log ---\n{process.log_text()}")
        process.close()


def test_an_output_over_the_step_limit_fails_the_task_from_the_worker(
    database_url: str, worker_with_keys: WorkerProcess
) -> None:
    """The worker's own limit is 16 MiB; the database's, for this step, 1,000 bytes."""
    with Client(database_url) as client:
        final = client.start("test_bounded_output", {}).wait(timeout=60)
    assert final.status == "failed"
    assert final.error_message is not None
    assert "PF032" in final.error_message
    assert "'big'" in final.error_message
    assert "over the limit of 1000" in final.error_message
    assert worker_with_keys.poll() is None


def test_runs_sealed_with_an_old_key_read_clear_after_a_new_key_is_added(
    deployed: None, database_url: str, conn: psycopg.Connection[TupleRow]
) -> None:
    old_key = os.urandom(32)
    before = Payloads(secrets=EncryptionCodec({"old": old_key}))
    after = Payloads(secrets=EncryptionCodec({"old": old_key, "new": os.urandom(32)}))
    with Client(database_url, payloads=before) as client:
        old_run = client.start("test_secrets", {"token": "TOKEN-old-1234", "cards": ["CARD-1"]})
    with Client(database_url, payloads=after) as client:
        new_run = client.start("test_secrets", {"token": "TOKEN-new-5678", "cards": []})
        assert client.get_run_row(old_run.run_id).input["token"] == "TOKEN-old-1234"
        assert client.get_run(new_run.run_id).run.input["token"] == "TOKEN-new-5678"
    kids = {
        str(row[0])
        for row in conn.execute("select input #>> '{token,kid}' from pgflow.runs").fetchall()
    }
    assert kids == {"old", "new"}, "new values are sealed with the newest key"


def test_the_async_client_seals_inputs_and_opens_outputs_like_the_sync_one(
    database_url: str,
    keys: str,
    worker_with_keys: WorkerProcess,
    conn: psycopg.Connection[TupleRow],
) -> None:
    token = "TOKEN-" + secrets.token_hex(4)
    payloads = Payloads(secrets=EncryptionCodec.from_env_text(keys))

    async def scenario() -> tuple[object, object, object]:
        async with AsyncClient(database_url, payloads=payloads) as client:
            handle = await client.start("test_secrets", {"token": token, "cards": []})
            final = await handle.wait(timeout=60)
            details = await client.get_run(handle.run_id)
        use = next(step.output for step in details.steps if step.step_slug == "use")
        return final.input["token"], final.status, use

    opened_token, status, use_output = asyncio.run(scenario())
    assert status == "completed"
    assert opened_token == token
    assert use_output == {"derived": f"DERIVED-{token}", "length": len(token)}
    stored = conn.execute(
        "select input::text from pgflow.runs where input -> 'token' ->> '$pgflow' = 'sealed'"
    ).fetchall()
    assert stored
    assert all(token not in row[0] for row in stored)
