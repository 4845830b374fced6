"""The harness itself: each test gets a fresh database with the extension installed."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow.define.install import extension_version


def test_extension_is_installed_in_a_fresh_database(conn: psycopg.Connection[TupleRow]) -> None:
    row = conn.execute("select extversion from pg_extension where extname = 'pgflow'").fetchone()
    assert row == (extension_version(),)


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_its_own_database(conn: psycopg.Connection[TupleRow], round_: int) -> None:
    # Run twice: the second round must not see the table the first one created.
    row = conn.execute("select current_database(), to_regclass('harness_probe')").fetchone()
    assert row is not None
    assert row[0].startswith("pgflow_test_")
    assert row[1] is None
    conn.execute("create table harness_probe (round int)")
