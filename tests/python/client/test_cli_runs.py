"""`pgflow start` and `pgflow status`, run in-process through the CLI's main()."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from pgflow import Client, Flow
from pgflow.cli.main import main

Act = Callable[[str, str, object], None]


def test_start_prints_the_run_id_and_status_prints_the_step_table(
    database_url: str,
    client: Client,
    two_steps: Flow[Any],
    act: Act,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["start", "two_steps", "--input", '{"n": 5}', "--database-url", database_url])
    assert code == 0
    run_id = uuid.UUID(capsys.readouterr().out.strip())
    act("first", "complete", {"n": 5})
    act("second", "fail", "KeyError: 'n'")

    assert main(["status", str(run_id), "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(f"run {run_id}  flow two_steps  failed")
    assert lines[1].split() == ["STEP", "TYPE", "STATUS", "TASKS", "ATTEMPTS", "DURATION", "ERROR"]
    assert lines[2].split()[:5] == ["first", "single", "completed", "1/1", "1"]
    assert lines[3].split()[:5] == ["second", "single", "failed", "0/1", "1"]
    assert "KeyError: 'n'" in lines[3]
    assert '  input:  {"n": 5}' in lines

    assert main(["status", str(run_id), "--json", "--database-url", database_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["status"] == "failed"
    assert [s["step_slug"] for s in data["steps"]] == ["first", "second"]


def test_start_wait_prints_the_table_and_exits_by_outcome(
    database_url: str,
    two_steps: Flow[Any],
    act: Act,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def work() -> None:
        time.sleep(0.3)
        act("first", "complete", {"n": 1})
        act("second", "complete", "ok")

    thread = threading.Thread(target=work)
    thread.start()
    args = ["start", "two_steps", "--wait", "--timeout", "10", "--database-url", database_url]
    code = main(args)
    thread.join()
    captured = capsys.readouterr()
    assert code == 0
    assert "waiting" in captured.err
    assert "completed" in captured.out.splitlines()[0]
    assert '  output: {"second": "ok"}' in captured.out.splitlines()

    assert main([*args[:-2], "--timeout", "0.2", "--database-url", database_url]) == 6
    assert "still running after 0.2 s" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["start", "two_steps", "--input", "{nope"], 2, "--input is not valid JSON"),
        (["start", "two_steps", "--timeout", "3"], 2, "--timeout needs --wait"),
        (["status", "not-a-uuid"], 2, "not a UUID"),
        (["status", "00000000-0000-0000-0000-000000000000"], 1, "not found"),
        (["start", "no_such_flow"], 1, "no_such_flow"),
    ],
)
def test_bad_run_commands_exit_with_a_clear_error(
    database_url: str,
    two_steps: Flow[Any],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    assert run_cli([*args, "--database-url", database_url]) == code
    assert message in capsys.readouterr().err


def run_cli(args: list[str]) -> int:
    """main(args), with argparse's exits (usage errors) turned into return codes."""
    try:
        return main(args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
