"""What every ``pgflow`` command shares: exit codes, :class:`CliError`, the database URL.

Exit codes are part of the interface, so scripts can branch on them:

* 0 — success (including "nothing to do");
* 1 — the operation failed: the database refused it, a file exists, ...;
* 2 — usage: bad arguments, a ``FLOW_REF`` that cannot be loaded, an invalid
  flow definition, no database URL;
* 3 — shape mismatch: the database (or an existing migration) has this flow
  slug with a different shape;
* 4 — the database cannot be reached (bad URL, server down);
* 130 — interrupted.

The command modules (:mod:`~pgflow.cli.definitions`, :mod:`~pgflow.cli.runs`)
and the entry point (:mod:`~pgflow.cli.main`) import this module; it imports
none of them.
"""

from __future__ import annotations

import argparse
import os
from typing import Final

import psycopg
from psycopg.rows import TupleRow

from pgflow.errors import DatabaseUnavailableError, PgflowError

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "CliError",
    "connect",
    "database_url",
    "require_url",
]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_MISMATCH: Final = 3
EXIT_UNAVAILABLE: Final = 4
EXIT_INTERRUPTED: Final = 130


class CliError(PgflowError):
    """An error the CLI reports with a chosen exit code."""

    def __init__(self, message: str, *, exit_code: int = EXIT_ERROR, hint: str | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.hint = hint


def database_url(args: argparse.Namespace) -> str | None:
    """``--database-url`` if given, else ``$DATABASE_URL``, else None."""
    url = getattr(args, "database_url", None) or os.environ.get("DATABASE_URL") or None
    return url


def require_url(args: argparse.Namespace) -> str:
    """The command's database URL; no URL is a usage error (exit 2)."""
    url = database_url(args)
    if url is None:
        raise CliError(
            "no database URL: pass --database-url URL or set DATABASE_URL",
            exit_code=EXIT_USAGE,
        )
    return url


def connect(args: argparse.Namespace, *, autocommit: bool = True) -> psycopg.Connection[TupleRow]:
    """Open a connection to the command's database, or raise a clear CLI error.

    No URL is a usage error (exit 2); a malformed URL or an unreachable server
    is :class:`~pgflow.errors.DatabaseUnavailableError` (exit 4).
    """
    url = require_url(args)
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=int(os.environ.get("PGCONNECT_TIMEOUT", "10")),
            application_name="pgflow-cli",
        )
    except psycopg.Error as error:
        raise DatabaseUnavailableError(
            f"cannot connect to the database: {str(error).strip()}"
        ) from error
