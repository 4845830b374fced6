"""Shared fixtures: every test gets a real PostgreSQL database with pgflow installed.

The server comes from ``DATABASE_URL``, which ``make test`` sets by running the
suite inside ``scripts/with-postgres.sh`` (a throwaway cluster). There is no
fallback and no skipping: without a server the tests fail and say why.

Fixtures:

* ``server_url`` (session): the server's ``DATABASE_URL``.
* ``template_db`` (session): name of a database with ``create extension pgflow``,
  created once per session and used as the template of every test database.
* ``database_url`` (function): URL of a fresh database cloned from the template,
  dropped (``with (force)``) after the test.
* ``conn`` (function): an autocommit ``psycopg.Connection`` to ``database_url``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

# Each example talks to PostgreSQL, whose latency varies on a busy CI machine:
# no per-example deadline. HYPOTHESIS_PROFILE selects another registered profile.
settings.register_profile("pgflow", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pgflow"))


def url_for_database(server_url: str, dbname: str) -> str:
    """``server_url`` pointing at another database (URL or key=value conninfo)."""
    parts = urlsplit(server_url)
    if parts.scheme in ("postgres", "postgresql"):
        return urlunsplit(parts._replace(path="/" + dbname))
    return make_conninfo(server_url, dbname=dbname)


def _admin_execute(server_url: str, statement: sql.Composed) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block: autocommit.
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(statement)


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail(
            "DATABASE_URL is not set. Run the tests with `make test` (or "
            "`make test-python PYTEST_ARGS=...`), which starts a throwaway PostgreSQL "
            "via scripts/with-postgres.sh; or run `scripts/with-postgres.sh .venv/bin/pytest ...`.",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def template_db(server_url: str) -> Iterator[str]:
    name = f"pgflow_template_{secrets.token_hex(4)}"
    _admin_execute(server_url, sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        # Closed before any clone: CREATE DATABASE ... TEMPLATE needs it unused.
        with psycopg.connect(url_for_database(server_url, name), autocommit=True) as c:
            c.execute("create extension pgflow")
        yield name
    finally:
        _admin_execute(
            server_url,
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)),
        )


@pytest.fixture
def database_url(server_url: str, template_db: str) -> Iterator[str]:
    name = f"pgflow_test_{secrets.token_hex(6)}"
    _admin_execute(
        server_url,
        sql.SQL("create database {} template {}").format(
            sql.Identifier(name), sql.Identifier(template_db)
        ),
    )
    try:
        yield url_for_database(server_url, name)
    finally:
        _admin_execute(
            server_url,
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)),
        )


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[TupleRow]]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection
