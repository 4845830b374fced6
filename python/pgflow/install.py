"""Install pgflow's SQL into a database: as an extension, or as a plain script.

The package ships the SQL that ``make build`` generates under ``pgflow/sql/``:
``pgflow--<version>.sql`` and ``pgflow.control`` (the extension, for servers
where those files are installed in the sharedir) and ``pgflow_plain.sql``
(the same objects as one transaction, for managed servers that do not allow
custom extensions).  ``CREATE EXTENSION`` is preferred when the server has
the files, because ``ALTER EXTENSION UPDATE`` and ``pg_dump`` then know what
pgflow owns; the plain script is the explicit fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import psycopg

from pgflow.errors import PgflowError

__all__ = [
    "InstallResult",
    "InstalledState",
    "extension_script",
    "extension_version",
    "install",
    "installed_state",
    "plain_script",
]

InstallMode = Literal["auto", "extension", "plain"]


def _read(name: str) -> str:
    resource = resources.files("pgflow").joinpath("sql").joinpath(name)
    try:
        return resource.read_text(encoding="utf-8")
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
    row = conn.execute(
        """
        select
            (select e.extversion from pg_catalog.pg_extension as e where e.extname = 'pgflow'),
            exists (select 1 from pg_catalog.pg_namespace as n where n.nspname = 'pgflow'),
            (select a.default_version from pg_catalog.pg_available_extensions as a
             where a.name = 'pgflow')
        """
    ).fetchone()
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
    they are missing); ``plain`` runs the packaged plain script.
    """
    state = installed_state(conn)
    if state.kind is not None:
        return InstallResult(action="already-installed", state=state)
    if mode == "plain":
        if not conn.autocommit:
            raise PgflowError("installing the plain script needs an autocommit connection")
        # One simple-protocol call; the script is its own transaction (begin ... commit).
        conn.execute(plain_script().encode("utf-8"))
        return InstallResult(action="ran-plain-script", state=installed_state(conn))
    if state.available is None:
        raise PgflowError(
            "the server has no pgflow extension files (pg_available_extensions has no "
            "'pgflow'); install them with `make install` on the server, or use the plain "
            "script: `pgflow install --plain` (or `pgflow install --print` for a migration)"
        )
    with conn.transaction():
        conn.execute("create extension if not exists pgflow")
    return InstallResult(action="created-extension", state=installed_state(conn))
