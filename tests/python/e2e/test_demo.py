"""The demo command itself: `python -m pgflow.demo` against the test server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_demo_runs_every_example_and_cleans_up(server_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pgflow.demo", "--timeout", "60"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": server_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "all 8 runs ended as expected" in out
    assert "deploy      analyze_website_v2" in out
    assert "website -> sentiment | summary -> saveToDb" in out
    assert out.count("STEP       TYPE    STATUS") == 4  # one table per analyze_website run
    assert '"sentiment": "positive"' in out
    assert "ValueError: not an http(s) URL" in out
    assert "exit codes 0, 0" in out
    assert '{"sum": 385}' in out
