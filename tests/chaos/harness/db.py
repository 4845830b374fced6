"""Connections, scratch databases and the restricted login roles every part uses."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

__all__ = [
    "Conn",
    "Roles",
    "connect",
    "create_roles",
    "drop_roles",
    "scalar",
    "scratch_database",
    "url_for",
]

Conn = psycopg.Connection[TupleRow]


def url_for(url: str, *, dbname: str | None = None, user: str | None = None) -> str:
    """``url`` with another database and/or user (a key=value conninfo)."""
    changes = {k: v for k, v in (("dbname", dbname), ("user", user)) if v is not None}
    return make_conninfo(url, **changes)


def connect(url: str, *, application_name: str = "pgflow-chaos") -> Conn:
    """An autocommit connection (every call is its own transaction, like a worker's)."""
    return psycopg.connect(
        url, autocommit=True, connect_timeout=10, application_name=application_name
    )


def scalar(conn: Conn, query: str, params: Any = None) -> Any:
    """The first column of the first row (None when there is no row)."""
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def install_pgflow(conn: Conn) -> None:
    """``create extension pgflow``; or, with ``CHAOS_PLAIN_SQL=FILE``, that install script.

    The plain script lets the suite run against another version of the SQL
    (e.g. one built from an older commit) to show which attacks bite it.
    """
    script = os.environ.get("CHAOS_PLAIN_SQL")
    if script:
        conn.execute(Path(script).read_bytes())
    else:
        conn.execute("create extension pgflow")


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new database with pgflow installed (:func:`install_pgflow`); dropped afterwards."""
    name = f"chaos_{prefix}_{secrets.token_hex(3)}"
    with connect(server_url) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = url_for(server_url, dbname=name)
    try:
        with connect(url) as conn:
            install_pgflow(conn)
        yield url
    finally:
        with connect(server_url) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@dataclass(frozen=True, slots=True)
class Roles:
    """Login roles: one in pgflow_worker, one in pgflow_client, one in neither."""

    worker: str
    client: str
    nobody: str

    def url(self, database_url: str, role: str) -> str:
        return url_for(database_url, user=role)

    def all(self) -> tuple[str, str, str]:
        return (self.worker, self.client, self.nobody)


def create_roles(admin: Conn) -> Roles:
    """Create the three login roles (cluster-wide; trust authentication)."""
    # The extension creates these group roles; a cluster without it yet gets them here.
    admin.execute(
        "do $$ begin"
        " if not exists (select 1 from pg_roles where rolname = 'pgflow_worker') then"
        "   create role pgflow_worker nologin; end if;"
        " if not exists (select 1 from pg_roles where rolname = 'pgflow_client') then"
        "   create role pgflow_client nologin; end if;"
        " end $$"
    )
    suffix = secrets.token_hex(3)
    roles = Roles(
        worker=f"chaos_worker_{suffix}",
        client=f"chaos_client_{suffix}",
        nobody=f"chaos_nobody_{suffix}",
    )
    admin.execute(
        sql.SQL("create role {} login in role pgflow_worker").format(sql.Identifier(roles.worker))
    )
    admin.execute(
        sql.SQL("create role {} login in role pgflow_client").format(sql.Identifier(roles.client))
    )
    admin.execute(sql.SQL("create role {} login").format(sql.Identifier(roles.nobody)))
    return roles


def drop_roles(admin: Conn, roles: Roles) -> None:
    """Drop the roles; their databases must be gone (or their grants revoked) first."""
    for role in roles.all():
        admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
