"""The operator's commands against a real server: runs, cancel, retry, prune, workers, retire.

Also ``--version``, what ``status`` shows of attempts and due times, ISO 8601
in every ``--json``, Ctrl-C during ``start --wait``, the roles, and the one
"not installed" message.  Commands run through the CLI's ``main()`` like
``test_cli_runs.py``; the Ctrl-C test runs a real ``python -m pgflow`` process.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from pgflow import Client, Flow, __version__
from pgflow.cli.main import main

NOT_INSTALLED = "pgflow is not installed in this database: run `pgflow install`"
UNKNOWN_RUN = "00000000-0000-0000-0000-000000000001"


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


def cli(*args: str) -> int:
    """main(args), with argparse's exits (usage errors, --version) turned into return codes."""
    try:
        return main(list(args))
    except SystemExit as exit_:
        return int(exit_.code or 0)


def is_iso(text: object) -> bool:
    assert isinstance(text, str), text
    return "T" in text and datetime.fromisoformat(text).tzinfo is not None


@pytest.fixture
def failed_run(client: Client, two_steps: Flow[Any], hand: Hand) -> UUID:
    """A run of two_steps whose ``first`` completed and ``second`` failed."""
    run_id = client.start(two_steps, {"n": 1}).run_id
    hand.complete(run_id, "first", {"n": 1})
    hand.fail(
        run_id, "second", "KeyError: 'n'", detail="Traceback (most recent call last):\n  boom"
    )
    return run_id


# -- --version ---------------------------------------------------------------------


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--version") == 0
    assert capsys.readouterr().out.strip() == f"pgflow {__version__}"


# -- runs --------------------------------------------------------------------------------


def test_runs_prints_a_table_newest_first(
    database_url: str, client: Client, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    started = client.start("two_steps").run_id
    assert cli("runs", "--database-url", database_url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "FLOW", "STATUS", "STARTED", "DURATION", "RETRIES", "ERROR"]
    assert lines[1].split()[:3] == [str(started), "two_steps", "started"]
    assert lines[2].split()[:3] == [str(failed_run), "two_steps", "failed"]


def test_runs_filters_by_flow_status_since_and_limit(
    database_url: str, client: Client, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    client.start("two_steps")
    url = ["--database-url", database_url]
    assert cli("runs", "--status", "failed", "--since", "1h", "--flow", "two_steps", *url) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == [
        str(failed_run)
    ]
    assert cli("runs", "--limit", "1", "--json", *url) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert cli("runs", "--flow", "other", *url) == 0
    assert "no runs match" in capsys.readouterr().err


def test_runs_accepts_an_iso_time_for_since(
    database_url: str, client: Client, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    later = client.start("two_steps").run_id
    since = client.get_run_row(later).started_at.isoformat()
    assert cli("runs", "--since", since, "--json", "--database-url", database_url) == 0
    assert [r["run_id"] for r in json.loads(capsys.readouterr().out)] == [str(later)]


def test_runs_json_uses_iso_8601_timestamps(
    database_url: str, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("runs", "--json", "--database-url", database_url) == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert run["run_id"] == str(failed_run)
    assert run["status"] == "failed"
    assert is_iso(run["started_at"])
    assert is_iso(run["finished_at"])


@pytest.mark.parametrize("since", ["soon", "5x", "-1h", "0m", "yesterday at noon"])
def test_runs_rejects_a_malformed_since_as_a_usage_error(
    database_url: str, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    assert cli("runs", f"--since={since}", "--database-url", database_url) == 2
    err = capsys.readouterr().err
    assert "--since" in err
    assert repr(since) in err


# -- cancel ------------------------------------------------------------------------------


def test_cancel_cancels_a_started_run(
    database_url: str, client: Client, two_steps: Flow[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = client.start(two_steps, {}).run_id
    assert cli("cancel", str(run_id), "--database-url", database_url) == 0
    assert f"run {run_id} is cancelled" in capsys.readouterr().out
    assert client.get_run_row(run_id).status == "cancelled"


def test_cancel_of_a_finished_run_says_there_is_nothing_to_cancel(
    database_url: str, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("cancel", str(failed_run), "--database-url", database_url) == 0
    assert "already failed: nothing to cancel" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["cancel", "retry", "status"])
def test_an_unknown_run_id_exits_1_naming_the_run(
    database_url: str, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert cli(command, UNKNOWN_RUN, "--database-url", database_url) == 1
    err = capsys.readouterr().err
    assert err.startswith("pgflow: error: ")
    assert UNKNOWN_RUN in err
    assert "not" in err


@pytest.mark.parametrize("command", ["cancel", "retry", "status"])
def test_a_malformed_run_id_is_a_usage_error(
    database_url: str, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert cli(command, "run-42", "--database-url", database_url) == 2
    assert "not a UUID: 'run-42'" in capsys.readouterr().err


# -- retry -------------------------------------------------------------------------------


def test_retry_resumes_a_failed_run_and_prints_its_id(
    database_url: str, client: Client, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("retry", str(failed_run), "--database-url", database_url) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(failed_run)
    assert "(retry 1): resuming what had not completed" in captured.err
    assert client.get_run_row(failed_run).status == "started"


def test_retry_wait_finishes_the_run_without_rerunning_completed_work(
    database_url: str,
    client: Client,
    failed_run: UUID,
    hand: Hand,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fixed_worker() -> None:
        time.sleep(0.3)
        hand.complete(failed_run, "second", "ok")

    thread = threading.Thread(target=fixed_worker)
    thread.start()
    code = cli(
        "retry", str(failed_run), "--wait", "--timeout", "10", "--database-url", database_url
    )
    thread.join()
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert "completed" in lines[0]
    assert "retried 1x" in lines[0]
    assert lines[2].split()[:5] == ["first", "single", "completed", "1/1", "1"]
    assert [(a.step_slug, a.attempt) for a in client.attempts(failed_run)] == [
        ("first", 1),
        ("second", 1),
        ("second", 2),
    ]


def test_retry_from_a_step_reruns_it_and_what_depends_on_it(
    database_url: str, client: Client, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("retry", str(failed_run), "--from", "first", "--database-url", database_url) == 0
    assert "re-running first and what depends on it" in capsys.readouterr().err
    details = client.get_run(failed_run)
    assert [s.status for s in details.steps] == ["started", "created"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "nope"], "flow 'two_steps' has no step 'nope'"),
        (["--timeout", "3"], "--timeout needs --wait"),
    ],
)
def test_retry_rejects_bad_input(
    database_url: str,
    failed_run: UUID,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    assert cli("retry", str(failed_run), *extra, "--database-url", database_url) in (1, 2)
    assert message in capsys.readouterr().err


def test_retry_of_a_running_run_exits_1_saying_it_is_still_running(
    database_url: str, client: Client, two_steps: Flow[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = client.start(two_steps, {}).run_id
    assert cli("retry", str(run_id), "--database-url", database_url) == 1
    err = capsys.readouterr().err
    assert "still running" in err
    assert "hint: " in err


# -- status ------------------------------------------------------------------------------


def test_status_lists_every_attempt_with_its_outcome_and_error(
    database_url: str, client: Client, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    client.retry(failed_run)
    assert cli("status", str(failed_run), "--database-url", database_url) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index("  attempts:")
    header, *rows = lines[start + 1 : start + 4]
    assert header.split() == [
        "STEP",
        "TASK",
        "ATTEMPT",
        "OUTCOME",
        "WORKER",
        "CLAIMED",
        "DURATION",
        "ERROR",
    ]
    assert rows[0].split()[:4] == ["first", "0", "1", "completed"]
    assert rows[1].split()[:4] == ["second", "0", "1", "failed"]
    assert "KeyError: 'n'" in rows[1]
    assert "Traceback" not in out


def test_status_verbose_shows_the_traceback_of_a_failed_attempt(
    database_url: str, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("status", str(failed_run), "--verbose", "--database-url", database_url) == 0
    out = capsys.readouterr().out
    assert "      | Traceback (most recent call last):" in out
    assert "      |   boom" in out


def test_status_says_when_a_retrying_step_becomes_due(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    client: Client,
    hand: Hand,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pgflow import deploy_flow

    flow = Flow("retrying", max_attempts=3, base_delay=30, timeout=30)
    flow.add_step("flaky", lambda run: run)
    deploy_flow(conn, flow)
    run_id = client.start(flow, {}).run_id
    hand.fail(run_id, "flaky", "boom")

    assert cli("status", str(run_id), "--database-url", database_url) == 0
    lines = capsys.readouterr().out.splitlines()
    due = lines[lines.index("  due (queued tasks waiting for a time):") + 1]
    assert due.split()[0] == "flaky"
    assert "(in 2" in due or "(in 30 s" in due
    assert "retry, attempt 2 of 3" in due


def test_status_says_when_a_delayed_step_becomes_due(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    client: Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pgflow import deploy_flow

    flow = Flow("delayed", timeout=30)
    flow.add_step("later", lambda run: run, delay_seconds=600)
    deploy_flow(conn, flow)
    run_id = client.start(flow, {}).run_id

    assert cli("status", str(run_id), "--database-url", database_url) == 0
    out = capsys.readouterr().out
    assert "    later  " in out
    assert "(in 9 min" in out or "(in 10 min" in out
    assert "delayed)" in out


def test_status_json_has_attempts_tracebacks_due_times_and_iso_timestamps(
    database_url: str, failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("status", str(failed_run), "--json", "--database-url", database_url) == 0
    data = json.loads(capsys.readouterr().out)
    assert is_iso(data["run"]["started_at"])
    assert is_iso(data["run"]["failed_at"])
    assert is_iso(data["read_at"])
    assert all(is_iso(s["created_at"]) for s in data["steps"])
    assert [s["due_at"] for s in data["steps"]] == [None, None]
    failed = data["history"][1]
    assert (failed["step_slug"], failed["outcome"]) == ("second", "failed")
    assert failed["error_detail"].startswith("Traceback")
    assert is_iso(failed["claimed_at"])
    assert is_iso(failed["finished_at"])


# -- prune -------------------------------------------------------------------------------


def test_prune_prints_a_line_per_batch_and_the_total(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    client: Client,
    two_steps: Flow[Any],
    hand: Hand,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for _ in range(5):
        hand.fail(client.start(two_steps, {}).run_id, "first", "boom")
    conn.execute("select pgflow.set_test_clock(now() + interval '31 days')")

    args = ["prune", "--older-than", "30d", "--batch-size", "2", "--database-url", database_url]
    assert cli(*args) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "pruned 2 runs (2 so far)",
        "pruned 2 runs (4 so far)",
        "pruned 1 runs (5 so far)",
    ]
    assert captured.out.startswith("pruned 5 runs finished more than 30d ago")
    assert client.list_runs() == []


def test_prune_with_max_runs_keeps_the_rest(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    client: Client,
    two_steps: Flow[Any],
    hand: Hand,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for _ in range(3):
        hand.fail(client.start(two_steps, {}).run_id, "first", "boom")
    conn.execute("select pgflow.set_test_clock(now() + interval '2 days')")

    assert (
        cli("prune", "--older-than", "1d", "--max-runs", "2", "--database-url", database_url) == 0
    )
    assert "pruned 2 runs" in capsys.readouterr().out
    assert len(client.list_runs()) == 1


def test_prune_leaves_recent_runs_alone(
    database_url: str, failed_run: UUID, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("prune", "--older-than", "1h", "--database-url", database_url) == 0
    assert capsys.readouterr().out.startswith("pruned 0 runs")
    assert [r.run_id for r in client.list_runs()] == [failed_run]


@pytest.mark.parametrize("interval", ["soon", "30 parsecs", "", "0d"])
def test_prune_rejects_a_malformed_interval_as_a_usage_error(
    database_url: str, capsys: pytest.CaptureFixture[str], interval: str
) -> None:
    assert cli("prune", "--older-than", interval, "--database-url", database_url) == 2
    err = capsys.readouterr().err
    assert "--older-than" in err
    assert repr(interval) in err


def test_prune_needs_older_than(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("prune", "--database-url", database_url) == 2
    assert "--older-than" in capsys.readouterr().err


# -- workers ------------------------------------------------------------------------------


def test_workers_lists_live_and_stopped_workers_and_what_they_serve(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    two_steps: Flow[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    live, stopped = uuid.uuid4(), uuid.uuid4()
    conn.execute("select pgflow.register_worker(%s, array['two_steps'], 'host-a', 101)", (live,))
    conn.execute(
        "select pgflow.serve_steps(%s, 'two_steps', "
        "pgflow.flow_shape_hash('two_steps'), array['first', 'second'])",
        (live,),
    )
    conn.execute("select pgflow.register_worker(%s, null, 'host-b', 202)", (stopped,))
    conn.execute("select pgflow.stop_worker(%s)", (stopped,))

    assert cli("workers", "--database-url", database_url) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["WORKER", "STATE", "HOST:PID"]
    assert lines[1].split()[:3] == [str(live), "live", "host-a:101"]
    assert lines[1].endswith("two_steps/first, two_steps/second")
    assert lines[2].split()[:3] == [str(stopped), "stopped", "host-b:202"]
    assert lines[3] == "1 live, 1 stopped"

    assert cli("workers", "--running", "--json", "--database-url", database_url) == 0
    (worker,) = json.loads(capsys.readouterr().out)
    assert worker["worker_id"] == str(live)
    assert worker["steps"] == ["two_steps/first", "two_steps/second"]
    assert is_iso(worker["started_at"])
    assert is_iso(worker["last_heartbeat_at"])


def test_workers_marks_a_worker_without_recent_heartbeat_silent(
    database_url: str,
    conn: psycopg.Connection[TupleRow],
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = uuid.uuid4()
    conn.execute("select pgflow.register_worker(%s)", (worker,))
    conn.execute(
        "update pgflow.workers set last_heartbeat_at = now() - interval '10 minutes' "
        "where worker_id = %s",
        (worker,),
    )
    assert cli("workers", "--silent-after", "5m", "--database-url", database_url) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[1] == "silent"


# -- retire ------------------------------------------------------------------------------


def test_retire_makes_start_fail_with_the_retired_error_and_undo_reverses_it(
    database_url: str, two_steps: Flow[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--database-url", database_url]
    assert cli("retire", "two_steps", *url) == 0
    assert "flow 'two_steps' is retired (since " in capsys.readouterr().out

    assert cli("start", "two_steps", *url) == 1
    err = capsys.readouterr().err
    assert "flow 'two_steps' is retired" in err
    assert "no new runs" in err

    assert cli("retire", "--undo", "two_steps", *url) == 0
    assert "takes new runs" in capsys.readouterr().out
    assert cli("start", "two_steps", *url) == 0


def test_unretire_is_retire_undo(
    database_url: str, client: Client, two_steps: Flow[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    client.retire(two_steps)
    assert cli("unretire", "two_steps", "--json", "--database-url", database_url) == 0
    assert json.loads(capsys.readouterr().out)["retired_at"] is None


def test_retire_json_has_an_iso_retired_at(
    database_url: str, two_steps: Flow[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("retire", "two_steps", "--json", "--database-url", database_url) == 0
    assert is_iso(json.loads(capsys.readouterr().out)["retired_at"])


def test_retire_of_an_unknown_flow_exits_1(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("retire", "nope", "--database-url", database_url) == 1
    assert "flow 'nope' does not exist" in capsys.readouterr().err


FLOW_FILE = """\
from pgflow import Flow

flow = Flow("two_steps", max_attempts=1, timeout=30)
flow.add_step("first", lambda run: run)
flow.add_step("second", lambda run, first: first, depends_on=["first"])
"""


def test_inspect_shows_a_retired_flow_as_retired(
    database_url: str,
    client: Client,
    two_steps: Flow[Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "retired_flows.py"
    path.write_text(FLOW_FILE)
    ref = f"{path}:flow"
    url = ["--database-url", database_url]
    assert cli("inspect", ref, *url) == 0
    assert "retired" not in capsys.readouterr().out

    client.retire(two_steps)
    assert cli("inspect", ref, *url) == 0
    out = capsys.readouterr().out
    assert "database: identical" in out
    assert "retired: since " in out
    assert "it takes no new runs" in out
    assert cli("inspect", ref, "--json", *url) == 0
    database = json.loads(capsys.readouterr().out)["database"]
    assert database["retired"] is True
    assert is_iso(database["retired_at"])


# -- not installed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["runs"],
        ["cancel", UNKNOWN_RUN],
        ["retry", UNKNOWN_RUN],
        ["status", UNKNOWN_RUN],
        ["start", "two_steps"],
        ["prune", "--older-than", "30d"],
        ["workers"],
        ["retire", "two_steps"],
        ["unretire", "two_steps"],
    ],
)
def test_every_command_says_pgflow_is_not_installed(
    empty_database_url: str, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert cli(*args, "--database-url", empty_database_url) == 1
    assert capsys.readouterr().err.splitlines()[0] == f"pgflow: error: {NOT_INSTALLED}"


# -- Ctrl-C during start --wait ------------------------------------------------------------


def test_interrupting_start_wait_says_the_run_goes_on_and_exits_130(
    database_url: str, client: Client, two_steps: Flow[Any]
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pgflow", "start", "two_steps", "--wait"],
        env={**_environ(), "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert "waiting" in first, first
        run_id = first.split()[2]
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert f"stopped waiting; run {run_id} goes on: pgflow status {run_id}" in err
    assert "Traceback" not in err
    assert client.get_run_row(run_id).status == "started"


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


# -- roles ---------------------------------------------------------------------------------


@pytest.fixture
def logins(conn: psycopg.Connection[TupleRow], database_url: str) -> Iterator[dict[str, str]]:
    """URLs of two login roles: one in ``pgflow_client``, one in ``pgflow_operator``."""
    suffix = secrets.token_hex(4)
    names = {"client": f"test_client_{suffix}", "operator": f"test_operator_{suffix}"}
    for kind, name in names.items():
        conn.execute(
            sql.SQL("create role {} login in role {}").format(
                sql.Identifier(name), sql.Identifier(f"pgflow_{kind}")
            )
        )
    try:
        yield {kind: make_conninfo(database_url, user=name) for kind, name in names.items()}
    finally:
        for name in names.values():
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def test_a_client_login_may_list_cancel_and_retry_runs(
    logins: dict[str, str], failed_run: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--database-url", logins["client"]]
    assert cli("runs", *url) == 0
    assert cli("status", str(failed_run), *url) == 0
    assert cli("retry", str(failed_run), *url) == 0
    assert cli("cancel", str(failed_run), *url) == 0
    assert "is cancelled" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args", [["prune", "--older-than", "30d"], ["retire", "two_steps"]], ids=["prune", "retire"]
)
def test_a_client_login_may_not_prune_or_retire(
    logins: dict[str, str],
    two_steps: Flow[Any],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    assert cli(*args, "--database-url", logins["client"]) == 1
    err = capsys.readouterr().err
    assert "permission denied" in err
    assert "needs the pgflow_operator role" in err


def test_an_operator_login_may_prune_retire_and_retry(
    logins: dict[str, str],
    failed_run: UUID,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = ["--database-url", logins["operator"]]
    assert cli("prune", "--older-than", "30d", *url) == 0
    assert cli("retire", "two_steps", *url) == 0
    assert cli("retry", str(failed_run), *url) == 0
    assert cli("retire", "--undo", "two_steps", *url) == 0
    assert "takes new runs" in capsys.readouterr().out
