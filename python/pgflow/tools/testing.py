"""Helpers to test flows with real worker processes (used by pgflow's tests, demo and bench).

:class:`WorkerProcess` runs ``python -m pgflow worker FLOW_REF...`` as a
subprocess against a database, waits until it has registered, and stops it
with SIGTERM (graceful) or SIGKILL (crash).  Its log goes to a file, so a
chatty worker never blocks on a full pipe; :attr:`WorkerProcess.log_text`
reads it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import psycopg

from pgflow import queries

__all__ = ["WorkerProcess"]


class WorkerProcess:
    """One ``pgflow worker`` subprocess.

    ``options`` are extra command-line arguments (``["--concurrency", "4"]``).
    ``env`` is merged over the current environment; ``DATABASE_URL`` is set to
    ``database_url`` for the worker and for the handlers it runs.
    """

    def __init__(
        self,
        flow_refs: Sequence[str],
        database_url: str,
        *,
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        log_level: str = "info",
    ) -> None:
        self.flow_refs = tuple(flow_refs)
        self.database_url = database_url
        self.options = tuple(options)
        self.env = {**os.environ, **(env or {}), "DATABASE_URL": database_url}
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.cwd = cwd
        self.log_level = log_level
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the process
            prefix="pgflow-worker-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log.name)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pgflow",
            "worker",
            *self.flow_refs,
            "--log-level",
            self.log_level,
            *self.options,
        ]

    @property
    def pid(self) -> int:
        assert self.process is not None, "worker not started"
        return self.process.pid

    def start(self, *, wait: bool = True, timeout: float = 30.0) -> WorkerProcess:
        """Start the process; with ``wait``, return once it registered in ``pgflow.workers``."""
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            self.wait_registered(timeout)
        return self

    def wait_registered(self, timeout: float = 30.0) -> None:
        """Wait until the worker's row appears in ``pgflow.workers`` (it claims from then on)."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while True:
                row = conn.execute(queries.WORKER_REGISTERED, {"pid": self.pid}).fetchone()
                if row is not None:
                    # Registered; the listener subscribes right after. A short
                    # pause avoids counting on a notification sent in between
                    # (the worker also claims once as soon as it listens).
                    time.sleep(0.05)
                    return
                code = self.poll()
                if code is not None:
                    raise RuntimeError(
                        f"worker exited with code {code} before registering:\n{self.log_text()}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"worker did not register within {timeout} s:\n{self.log_text()}"
                    )
                time.sleep(0.05)

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        """SIGTERM: graceful stop."""
        if self.poll() is None:
            os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: a crash, nothing reported."""
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit code (``subprocess.TimeoutExpired`` after ``timeout``)."""
        assert self.process is not None, "worker not started"
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, wait up to ``timeout``, SIGKILL if still alive; return the exit code."""
        if self.process is None:
            return 0
        self.terminate()
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.wait()

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        """Kill the process if it still runs and remove the log file."""
        if self.process is not None and self.poll() is None:
            self.kill()
            self.wait()
        self._log.close()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> WorkerProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
