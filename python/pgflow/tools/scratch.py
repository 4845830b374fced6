"""Throwaway databases: create one on a server, use it, drop it.

The demo runs in one, pgflow's tests get one per test (cloned from a
template), the benchmark one per scenario.  ``create database`` cannot run
in a transaction block, so each statement runs on its own autocommit
connection to the server's URL; a drop uses ``with (force)``, so connections
a test or a killed worker left open do not keep the database alive.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pgflow import queries

__all__ = [
    "ScratchDatabase",
    "create_database",
    "database_url",
    "drop_database",
    "scratch_database",
]


@dataclass(frozen=True, slots=True)
class ScratchDatabase:
    name: str
    url: str
    """The server's URL pointing at this database."""


def database_url(server_url: str, dbname: str) -> str:
    """``server_url`` pointing at database ``dbname`` (a URL stays a URL, a conninfo a conninfo)."""
    parts = urlsplit(server_url)
    if parts.scheme in ("postgres", "postgresql"):
        return urlunsplit(parts._replace(path="/" + dbname))
    return make_conninfo(server_url, dbname=dbname)


def _execute(server_url: str, statement: sql.Composed) -> None:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(statement)


def create_database(
    server_url: str, name: str, *, template: str | None = None, replace: bool = False
) -> str:
    """Create database ``name`` (a copy of ``template`` if given) and return its URL.

    ``replace`` drops a database of that name first.
    """
    if replace:
        drop_database(server_url, name)
    if template is None:
        statement = sql.SQL(queries.CREATE_DATABASE).format(database=sql.Identifier(name))
    else:
        statement = sql.SQL(queries.CREATE_DATABASE_FROM_TEMPLATE).format(
            database=sql.Identifier(name), template=sql.Identifier(template)
        )
    _execute(server_url, statement)
    return database_url(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting whoever is still connected."""
    _execute(server_url, sql.SQL(queries.DROP_DATABASE).format(database=sql.Identifier(name)))


@contextlib.contextmanager
def scratch_database(
    server_url: str, *, prefix: str = "pgflow_scratch", template: str | None = None
) -> Iterator[ScratchDatabase]:
    """A new database named ``<prefix>_<random hex>``, dropped on exit."""
    name = f"{prefix}_{secrets.token_hex(5)}"
    url = create_database(server_url, name, template=template)
    try:
        yield ScratchDatabase(name=name, url=url)
    finally:
        drop_database(server_url, name)
