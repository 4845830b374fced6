"""Install pgflow's SQL into a database: as an extension, or as a plain script.

The wheel ships the SQL that ``scripts/build_sql.py`` generates under
``pgflow/sql/``: ``pgflow.control`` and every ``pgflow--*.sql`` a server's
sharedir needs (the current script, the upgrade scripts, earlier releases),
and ``pgflow_plain.sql`` (the same objects without CREATE EXTENSION, for
managed servers that do not allow custom extensions).  ``CREATE EXTENSION``
is preferred when the server has the files, because ``ALTER EXTENSION
UPDATE`` and ``pg_dump`` then know what pgflow owns; :func:`install_files`
copies them into a sharedir from the wheel.  The plain script is the explicit
fallback: transaction-neutral and re-runnable (a second run changes nothing;
run over an older plain install, it upgrades it).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import psycopg

from pgflow import queries
from pgflow.errors import PgflowError

__all__ = [
    "InstallResult",
    "InstalledState",
    "extension_files",
    "extension_script",
    "extension_version",
    "install",
    "install_files",
    "installed_state",
    "packaged_sql_dir",
    "pg_sharedir",
    "plain_script",
]

InstallMode = Literal["auto", "extension", "plain"]


def _sql_dir() -> Traversable:
    return resources.files("pgflow").joinpath("sql")


def _read(name: str) -> str:
    try:
        return _sql_dir().joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise PgflowError(
            f"pgflow/sql/{name} is missing from the installed package; "
            "in a source checkout, run `make build` to generate it"
        ) from None


def extension_version() -> str:
    """The version in the packaged ``pgflow.control`` (``default_version``)."""
    match = re.search(r"^\s*default_version\s*=\s*'([^']+)'", _read("pgflow.control"), re.M)
    if match is None:
        raise PgflowError("pgflow/sql/pgflow.control has no default_version")
    return match.group(1)


def extension_script() -> str:
    """The extension script (``pgflow--<version>.sql``), as installed in the sharedir."""
    return _read(f"pgflow--{extension_version()}.sql")


def plain_script() -> str:
    """The plain install script, for servers that do not allow custom extensions."""
    return _read("pgflow_plain.sql")


def extension_files() -> list[Traversable]:
    """The packaged files a server's ``SHAREDIR/extension`` needs: the control file first."""
    extension_version()  # fails clearly when the package has no SQL
    scripts = sorted(
        (f for f in _sql_dir().iterdir() if re.fullmatch(r"pgflow--[\d.-]+\.sql", f.name)),
        key=lambda f: f.name,
    )
    return [_sql_dir().joinpath("pgflow.control"), *scripts]


def pg_sharedir(pg_config: str = "pg_config") -> Path:
    """``pg_config --sharedir``: where the server looks for ``extension/pgflow.control``."""
    try:
        result = subprocess.run(
            [pg_config, "--sharedir"], capture_output=True, text=True, check=True, timeout=30
        )
    except FileNotFoundError:
        raise PgflowError(
            f"{pg_config} not found: pass the server's share directory "
            "(`pg_config --sharedir` on the server's machine) explicitly"
        ) from None
    except subprocess.CalledProcessError as error:
        raise PgflowError(f"{pg_config} --sharedir failed: {error.stderr.strip()}") from None
    return Path(result.stdout.strip())


def install_files(sharedir: Path) -> list[tuple[Path, bool]]:
    """Copy the packaged extension files into ``sharedir/extension``.

    Returns each destination with whether it was written (False: already
    identical).  Each file is written to a temporary name and renamed, so a
    concurrent ``CREATE EXTENSION`` never reads half a script.
    """
    target = sharedir / "extension"
    if not target.is_dir():
        raise PgflowError(
            f"{target} does not exist: is {sharedir} a PostgreSQL share directory "
            "(`pg_config --sharedir`)?"
        )
    done: list[tuple[Path, bool]] = []
    for source in extension_files():
        data = source.read_bytes()
        dest = target / source.name
        if dest.is_file() and dest.read_bytes() == data:
            done.append((dest, False))
            continue
        fd, tmp = tempfile.mkstemp(prefix=f".{source.name}.", dir=target)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        done.append((dest, True))
    return done


def packaged_sql_dir() -> Path | None:
    """The directory of the packaged SQL files, when the package is on a file system."""
    directory = _sql_dir()
    return Path(str(directory)) if isinstance(directory, Path) else None


@dataclass(frozen=True, slots=True)
class InstalledState:
    """What the database has: ``kind`` None (nothing), ``extension`` or ``plain``."""

    kind: Literal["extension", "plain"] | None
    version: str | None
    """The extension's version; None for a plain install."""
    available: str | None
    """The extension version the server could install (its sharedir files), if any."""


@dataclass(frozen=True, slots=True)
class InstallResult:
    action: Literal["created-extension", "ran-plain-script", "already-installed"]
    state: InstalledState


def installed_state(conn: psycopg.Connection[Any]) -> InstalledState:
    """Inspect the database: is pgflow there, how, and could the extension be created?"""
    row = conn.execute(queries.INSTALLED_STATE).fetchone()
    assert row is not None
    version, has_schema, available = row
    kind: Literal["extension", "plain"] | None
    if version is not None:
        kind = "extension"
    elif has_schema:
        kind = "plain"
    else:
        kind = None
    return InstalledState(kind=kind, version=version, available=available)


def install(conn: psycopg.Connection[Any], *, mode: InstallMode = "auto") -> InstallResult:
    """Install pgflow unless it is already there.

    ``auto`` and ``extension`` run ``create extension pgflow`` and need the
    extension files on the server (``auto`` says to use the plain script when
    they are missing); ``plain`` runs the packaged plain script, inside the
    connection's transaction when one is open (it has no begin/commit of its
    own), else in a transaction of its own.
    """
    state = installed_state(conn)
    if state.kind is not None:
        return InstallResult(action="already-installed", state=state)
    if mode == "plain":
        # One call, many statements: all or nothing.
        with conn.transaction():
            conn.execute(plain_script().encode("utf-8"))
        return InstallResult(action="ran-plain-script", state=installed_state(conn))
    if state.available is None:
        raise PgflowError(
            "the server has no pgflow extension files (pg_available_extensions has no "
            "'pgflow'); copy them into the server's sharedir with `pgflow install-files` "
            "(from this package) or `make install` (from a checkout), or use the plain "
            "script: `pgflow install --plain` (or `pgflow install --print` for a migration)"
        )
    with conn.transaction():
        conn.execute(queries.CREATE_EXTENSION)
    return InstallResult(action="created-extension", state=installed_state(conn))
