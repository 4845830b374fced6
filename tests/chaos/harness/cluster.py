"""A PostgreSQL cluster of the suite's own, so that it can crash it.

Like ``scripts/with-postgres.sh``: a temporary directory under /tmp, trust
authentication on 127.0.0.1, a free port kept across restarts; run as the
``postgres`` OS user when the suite runs as root (PostgreSQL refuses root).
The extension's files come from the server's sharedir, where ``make chaos``
installed them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Cluster", "own_cluster"]

SETTINGS = """
# --- added by the chaos suite ---
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
max_connections = 100
lc_messages = 'C'
timezone = 'UTC'
log_min_messages = warning
"""


def default_pgbin() -> Path:
    major = os.environ.get("PG_MAJOR", "15")
    return Path(os.environ.get("PGBIN", f"/usr/lib/postgresql/{major}/bin"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """initdb'd data directory plus pg_ctl start, crash (immediate stop) and stop."""

    def __init__(self, pgbin: Path) -> None:
        self.pgbin = pgbin
        self.as_root = os.geteuid() == 0
        self.directory = Path(tempfile.mkdtemp(prefix="pgflow-chaos-pg."))
        if self.as_root:
            shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.pgbin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, cwd="/", capture_output=True, text=True, check=False)

    def _checked(self, tool: str, *args: str) -> None:
        done = self._pg(tool, *args)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def init(self) -> None:
        self._checked(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(SETTINGS.format(port=self.port, socket_dir=self.directory))

    def start(self) -> None:
        self._checked(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"
        )

    def crash(self) -> None:
        """Immediate stop: every backend dies at once, no checkpoint; recovery on start."""
        self._checked("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        if self._pg(
            "pg_ctl", "-D", str(self.data), "-m", "fast", "-t", "30", "-w", "stop"
        ).returncode:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def own_cluster(pgbin: Path | None = None) -> Iterator[Cluster]:
    """A started cluster, stopped and removed on exit."""
    cluster = Cluster(pgbin or default_pgbin())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
