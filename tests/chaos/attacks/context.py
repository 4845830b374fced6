"""What every attack gets: the database, the roles, an owner connection and small helpers."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from tests.chaos.harness.db import Conn, Roles, connect

__all__ = ["Attack", "SqlError", "attempt"]


@dataclass
class Attack:
    url: str
    roles: Roles
    admin: Conn
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def connect_as(self, role: str) -> Conn:
        """A connection as ``role`` (one of the suite's login roles, or the owner's URL)."""
        return connect(self.roles.url(self.url, role), application_name="chaos-attack")

    def flow(
        self,
        steps: Sequence[tuple[str, Sequence[str]]] = (("s", ()),),
        *,
        max_attempts: int = 3,
        timeout: int = 60,
        delay_seconds: int = 0,
    ) -> str:
        """A new flow (as the owner); returns its slug."""
        slug = f"atk_{next(self._names)}"
        self.admin.execute(
            "select pgflow.create_flow(%s, max_attempts => %s, base_delay => 0, timeout => %s)",
            (slug, max_attempts, timeout),
        )
        for step, deps in steps:
            self.admin.execute(
                "select pgflow.add_step(%s, %s, deps => %s, delay_seconds => %s)",
                (slug, step, list(deps), delay_seconds),
            )
        return slug

    def start(self, client: Conn, flow: str, run_input: Any = None) -> UUID:
        run_id = uuid4()
        client.execute(
            "select pgflow.start_flow(%s, %s, %s)", (flow, Jsonb(run_input or {}), run_id)
        )
        return run_id

    def snapshot(self, run_id: UUID) -> Any:
        """The run, its steps and its tasks as one JSON value (to prove nothing changed)."""
        row = self.admin.execute(
            "select pg_catalog.jsonb_build_object("
            " 'run', (select to_jsonb(r) from pgflow.runs as r where r.run_id = %(id)s),"
            " 'steps', (select jsonb_agg(to_jsonb(s) order by s.step_slug)"
            "           from pgflow.step_states as s where s.run_id = %(id)s),"
            " 'tasks', (select jsonb_agg(to_jsonb(t) order by t.step_slug, t.task_index)"
            "           from pgflow.step_tasks as t where t.run_id = %(id)s))",
            {"id": run_id},
        ).fetchone()
        return None if row is None else row[0]


@dataclass(frozen=True, slots=True)
class SqlError:
    sqlstate: str | None
    message: str
    detail: str
    hint: str


def attempt(
    conn: Conn, query: str | sql.Composed, params: Any = None
) -> tuple[list[Any], SqlError | None]:
    """Run ``query``: its rows and no error, or no rows and the error it raised."""
    try:
        cursor = conn.execute(query, params)
        return (cursor.fetchall() if cursor.description is not None else []), None
    except psycopg.Error as error:
        diag = error.diag
        return [], SqlError(
            error.sqlstate,
            diag.message_primary or str(error),
            diag.message_detail or "",
            diag.message_hint or "",
        )
