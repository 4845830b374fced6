"""The done-check of packaging, as a test: ``scripts/check-wheel.sh`` (about 30 s).

A clean copy of the tree builds with ``pip wheel .`` and ``python -m build``
into wheels that carry the SQL (a copy without ``extension/`` fails to build);
the wheel installed into a fresh venv outside the repository then runs
``pgflow install --plain``, ``pgflow install-files`` + ``pgflow install`` and
``python -m pgflow.demo`` against a server that had no pgflow files.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_wheel_from_a_clean_tree_installs_and_runs_outside_the_repository() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONPATH")}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "check-wheel.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=280,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "check-wheel: 12 passed, 0 failed" in result.stdout, output[-6000:]
