"""The plain install script is transaction-neutral and re-runnable.

It has no begin/commit of its own, so it can run inside the caller's
transaction (Alembic's ``op.execute``, Flyway, dbmate) or under ``psql -1``:
applied twice in one transaction it succeeds both times and leaves the same
objects, and a transaction that rolls back leaves nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg

from pgflow.define.install import install, plain_script

Psql = Callable[..., subprocess.CompletedProcess[str]]


def has_pgflow(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("select to_regnamespace('pgflow') is not null").fetchone()
        return bool(row and row[0])


def test_twice_in_one_transaction_then_rolled_back_leaves_nothing(
    new_database: Callable[[], str], schema_of: Callable[..., list[str]]
) -> None:
    url = new_database()
    script = plain_script().encode()
    with psycopg.connect(url) as conn:  # not autocommit: one transaction, like a migration
        conn.execute(script)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        first = schema_of(conn)
        conn.execute(script)
        assert schema_of(conn) == first
        assert any(line.startswith("function pgflow.claim_tasks(") for line in first)
        conn.rollback()
    assert not has_pgflow(url)


def test_a_second_application_changes_nothing(
    new_database: Callable[[], str],
    database_url: str,
    schema_of: Callable[..., list[str]],
    pg_dump_schema: Callable[[str], str],
) -> None:
    url = new_database()
    with psycopg.connect(url) as conn:
        install(conn, mode="plain")  # in the connection's transaction
        conn.commit()
    once, dumped_once = schema_of(url), pg_dump_schema(url)
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute(plain_script().encode())
    assert schema_of(url) == once
    assert pg_dump_schema(url) == dumped_once
    # and the objects are the extension's (the same functions, tables, grants...)
    assert once == schema_of(database_url)


def test_psql_single_transaction_twice(
    new_database: Callable[[], str],
    sql_files: Path,
    psql: Psql,
    pg_dump_schema: Callable[[str], str],
) -> None:
    plain = str(sql_files / "pgflow_plain.sql")
    once, twice = new_database(), new_database()
    for url, runs in ((once, 1), (twice, 2)):
        for _ in range(runs):
            result = psql(url, "-1", "-f", plain)
            assert result.returncode == 0, result.stderr
    assert pg_dump_schema(twice) == pg_dump_schema(once)


def test_a_failure_half_way_leaves_the_callers_transaction_to_decide(
    new_database: Callable[[], str], sql_files: Path, psql: Psql
) -> None:
    # A migration that fails after the script (here: a bad statement) rolls it back whole:
    # the script committed nothing of its own half way.
    url = new_database()
    result = psql(url, "-1", "-f", str(sql_files / "pgflow_plain.sql"), "-c", "select 1 / 0")
    assert result.returncode != 0
    assert "division by zero" in result.stderr
    assert not has_pgflow(url)
