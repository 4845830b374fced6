"""A pool of real ``pgflow worker`` processes that the suite kills and replaces."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from tests.chaos.harness.db import connect, scalar

from pgflow.tools.testing import WorkerProcess

__all__ = ["FLOWS_FILE", "WorkerPool"]

FLOWS_FILE = Path(__file__).resolve().parents[1] / "flows.py"


class WorkerPool:
    """Worker processes serving ``flow_names`` of ``tests/chaos/flows.py``.

    Tracks which processes the suite killed, so any other exit is an
    unexpected error; keeps each log until :meth:`close` for the report.
    """

    def __init__(
        self,
        flow_names: Sequence[str],
        database_url: str,
        options: Sequence[str],
        *,
        admin_url: str,
    ) -> None:
        self.flow_refs = [f"{FLOWS_FILE}:{name}" for name in flow_names]
        self.database_url = database_url
        self.admin_url = admin_url
        self.options = list(options)
        self.processes: list[WorkerProcess] = []
        self.killed: set[int] = set()
        self.reaped: set[int] = set()

    def spawn(self, *, wait: bool = False) -> WorkerProcess:
        process = WorkerProcess(self.flow_refs, self.database_url, options=self.options)
        self.processes.append(process)
        return process.start(wait=wait)

    def start(self, count: int, timeout: float = 60.0) -> None:
        """Start ``count`` workers and wait until each registered in ``pgflow.workers``.

        Read through ``admin_url``: a worker role may not read that table.
        """
        started = [self.spawn(wait=False) for _ in range(count)]
        deadline = time.monotonic() + timeout
        with connect(self.admin_url) as conn:
            for process in started:
                while (
                    scalar(
                        conn,
                        "select count(*) from pgflow.workers where pid = %s and stopped_at is null",
                        (process.pid,),
                    )
                    == 0
                ):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"worker did not register:\n{process.log_text()}")
                    time.sleep(0.05)

    def live(self) -> list[WorkerProcess]:
        return [p for p in self.processes if p.poll() is None]

    def kill_random(self, rng: random.Random) -> WorkerProcess | None:
        """SIGKILL one live worker (chosen by ``rng``) and reap it; None if none is alive."""
        live = self.live()
        if not live:
            return None
        victim = rng.choice(live)
        self.killed.add(victim.pid)
        victim.kill()
        victim.wait(30)
        return victim

    def reap(self) -> list[str]:
        """Workers that exited without being killed or stopped: one line each (and replace them)."""
        found: list[str] = []
        for process in list(self.processes):
            code = process.poll()
            if code is None or process.pid in self.killed or process.pid in self.reaped:
                continue
            self.reaped.add(process.pid)
            found.append(
                f"worker {process.pid} exited on its own with code {code}: {tail(process)}"
            )
            self.spawn(wait=False)
        return found

    def stop_all(self, timeout: float = 30.0) -> list[str]:
        """SIGTERM every live worker; a non-zero exit is one line each."""
        found = self.reap()
        live = self.live()
        for process in live:
            self.reaped.add(process.pid)
            process.terminate()
        for process in live:
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
                found.append(f"worker {process.pid} did not stop within {timeout:.0f} s of SIGTERM")
            if code != 0:
                found.append(f"worker {process.pid} stopped with code {code}: {tail(process)}")
        return found

    def log_problems(self, pattern: str) -> list[str]:
        """Log entries of every worker whose first line matches the regular expression ``pattern``.

        An entry is a log line with the lines that follow it (a traceback),
        reported as its first line and its last one (the exception).
        """
        regex = re.compile(pattern)
        found: list[str] = []
        for process in self.processes:
            for entry in log_entries(process.log_text()):
                if regex.search(entry[0]) or (len(entry) > 1 and regex.search(entry[-1])):
                    summary = entry[0] if len(entry) == 1 else f"{entry[0]} ... {entry[-1]}"
                    found.append(f"worker {process.pid}: {summary.strip()[:400]}")
        return found

    def close(self) -> None:
        """Remove the logs; with ``CHAOS_KEEP_LOGS=DIR`` copy them into DIR first."""
        keep = os.environ.get("CHAOS_KEEP_LOGS")
        for process in self.processes:
            if keep and process.process is not None:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(process.log_path, Path(keep) / f"worker-{process.pid}.log")
            process.close()


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d ")


def log_entries(text: str) -> list[list[str]]:
    """Split a worker log into entries: a timestamped line and its continuation lines."""
    entries: list[list[str]] = []
    for line in text.splitlines():
        if LOG_LINE.match(line) or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return entries


def tail(process: WorkerProcess, lines: int = 6) -> str:
    return " | ".join(process.log_text().strip().splitlines()[-lines:])[-1200:]
