"""``pgflow ui`` as a user starts it: a process that serves the page until interrupted."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from pgflow.cli import main


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_pgflow_ui_serves_the_page_until_interrupted(ui_database: str) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pgflow", "ui", "--port", str(port), "--read-only"],
        env={**os.environ, "DATABASE_URL": ui_database},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/flows") as response:
                    page = response.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "pgflow ui did not start serving"
                time.sleep(0.1)
        assert 'data-flow="ui_steps_v1"' in page
        assert 'id="read-only"' in page
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    # Ctrl-C: the server shuts down cleanly, and the CLI's "interrupted" code
    assert process.returncode == 130, stderr
    assert f"serving http://127.0.0.1:{port}/ (read-only)" in stderr
    assert "Traceback" not in stderr


def test_pgflow_ui_wants_both_basic_auth_variables(
    ui_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGFLOW_UI_USER", "ada")
    monkeypatch.delenv("PGFLOW_UI_PASSWORD", raising=False)
    assert main(["ui", "--database-url", ui_database]) == 2
    assert "PGFLOW_UI_PASSWORD" in capsys.readouterr().err
