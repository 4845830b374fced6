"""Fixtures for the SQL concurrency tests: many real connections to one database.

These tests drive the stored functions directly (no Python worker, no client):
they check what the SQL guarantees when several sessions race, which pgTAP
cannot do from inside a single transaction.

* ``connect``: a factory of autocommit connections to the test database; every
  connection it made is closed at teardown. Each has a ``statement_timeout`` and
  a ``lock_timeout`` so a deadlock or a lost wake-up fails the test instead of
  hanging it.
* ``sql_flow``: registers a flow from ``(step_slug, deps, options)`` tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

Connect = Callable[[], psycopg.Connection[TupleRow]]
StepDef = tuple[str, Sequence[str], dict[str, Any]]
SqlFlow = Callable[..., None]

TIMEOUT_MS = 20_000


@pytest.fixture
def connect(database_url: str) -> Iterator[Connect]:
    made: list[psycopg.Connection[TupleRow]] = []

    def new_connection() -> psycopg.Connection[TupleRow]:
        c = psycopg.connect(
            database_url,
            autocommit=True,
            options=f"-c statement_timeout={TIMEOUT_MS} -c lock_timeout={TIMEOUT_MS}",
        )
        made.append(c)
        return c

    yield new_connection
    for c in made:
        c.close()


@pytest.fixture
def sql_flow(conn: psycopg.Connection[TupleRow]) -> SqlFlow:
    """Register a flow.

    ``sql_flow("f", [("a", [], {}), ("b", ["a"], {"step_type": "map"})], max_attempts=3)``
    """

    def register(flow_slug: str, steps: Sequence[StepDef], **flow_options: Any) -> None:
        conn.execute(
            "select pgflow.create_flow("
            "%(flow_slug)s, %(max_attempts)s, %(base_delay)s, %(timeout)s)",
            {
                "flow_slug": flow_slug,
                "max_attempts": flow_options.get("max_attempts", 3),
                "base_delay": flow_options.get("base_delay", 1),
                "timeout": flow_options.get("timeout", 60),
            },
        )
        for step_slug, deps, options in steps:
            conn.execute(
                """
                select pgflow.add_step(
                    flow_slug => %(flow_slug)s, step_slug => %(step_slug)s,
                    deps => %(deps)s::text[],
                    max_attempts => %(max_attempts)s, base_delay => %(base_delay)s,
                    timeout => %(timeout)s, step_type => %(step_type)s,
                    run_if => %(run_if)s, when_exhausted => %(when_exhausted)s)
                """,
                {
                    "flow_slug": flow_slug,
                    "step_slug": step_slug,
                    "deps": list(deps),
                    "max_attempts": options.get("max_attempts"),
                    "base_delay": options.get("base_delay"),
                    "timeout": options.get("timeout"),
                    "step_type": options.get("step_type", "single"),
                    "run_if": Jsonb(options["run_if"]) if "run_if" in options else None,
                    "when_exhausted": options.get("when_exhausted", "fail"),
                },
            )

    return register
