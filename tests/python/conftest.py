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
* ``empty_database_url`` (function): URL of a fresh database without pgflow.
* ``conn`` (function): an autocommit ``psycopg.Connection`` to ``database_url``.

Databases come and go through :mod:`pgflow.tools.scratch`, the helper the demo
and the benchmark use too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import settings
from psycopg.rows import TupleRow

from pgflow.tools.scratch import scratch_database

# Each example talks to PostgreSQL, whose latency varies on a busy CI machine:
# no per-example deadline. HYPOTHESIS_PROFILE selects another registered profile.
settings.register_profile("pgflow", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pgflow"))


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
    with scratch_database(server_url, prefix="pgflow_template") as template:
        # Closed before any clone: CREATE DATABASE ... TEMPLATE needs it unused.
        with psycopg.connect(template.url, autocommit=True) as c:
            c.execute("create extension pgflow")
        yield template.name


@pytest.fixture
def database_url(server_url: str, template_db: str) -> Iterator[str]:
    with scratch_database(server_url, prefix="pgflow_test", template=template_db) as database:
        yield database.url


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    with scratch_database(server_url, prefix="pgflow_empty") as database:
        yield database.url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[TupleRow]]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection
