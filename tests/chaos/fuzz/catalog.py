"""The functions of schema pgflow, read from the catalog, and who may call them.

An entry point is a function the contract names, a security definer
function, or one a pgflow role may execute; every other function is an
internal helper, which no restricted role may execute. Each entry point is
fuzzed as the least privileged of the suite's roles that may call it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.chaos.harness.db import Conn, Roles

__all__ = ["CONTRACT", "Function", "read_functions"]

CONTRACT = frozenset(
    {
        "create_flow",
        "add_step",
        "start_flow",
        "claim_tasks",
        "complete_task",
        "complete_tasks",
        "fail_task",
        "cancel_run",
        "prune_runs",
        "prune_workers",
        "register_worker",
        "heartbeat_worker",
        "stop_worker",
        "verify_flow",
        "flow_shape",
        "flow_shape_hash",
        "next_task_visible_at",
        "drop_flow",
        "retry_run",
        "retire_flow",
        "set_step_limits",
        "set_test_clock",
    }
)
"""Functions of the SQL surface (DESIGN.md, README): entry points whatever their grants."""


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    type: str
    """As ``format_type`` spells it: ``text[]``, ``timestamp with time zone``, ..."""
    has_default: bool


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    signature: str
    arguments: tuple[Argument, ...]
    security_definer: bool
    config: tuple[str, ...]
    executable_by: frozenset[str]
    """Which of the suite's worker, client and nobody roles may execute it."""

    @property
    def entry_point(self) -> bool:
        return (
            self.name in CONTRACT or self.security_definer or bool(self.executable_by - {"nobody"})
        )

    def caller(self) -> str:
        """The least privileged role that may call it: worker, client or owner."""
        for role in ("worker", "client"):
            if role in self.executable_by:
                return role
        return "owner"


CATALOG = """
select p.proname,
    p.oid::regprocedure::text,
    coalesce(p.proargnames, '{}'),
    array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) as t),
    p.pronargs,
    p.pronargdefaults,
    p.prosecdef,
    coalesce(p.proconfig, '{}'),
    pg_catalog.has_function_privilege(%(worker)s, p.oid, 'execute'),
    pg_catalog.has_function_privilege(%(client)s, p.oid, 'execute'),
    pg_catalog.has_function_privilege(%(nobody)s, p.oid, 'execute')
from pg_catalog.pg_proc as p
where p.pronamespace = 'pgflow'::regnamespace and p.prokind = 'f'
order by p.proname, p.oid
"""


def read_functions(conn: Conn, roles: Roles) -> list[Function]:
    rows = conn.execute(
        CATALOG, {"worker": roles.worker, "client": roles.client, "nobody": roles.nobody}
    ).fetchall()
    functions: list[Function] = []
    for (
        name,
        signature,
        names,
        types,
        count,
        defaults,
        definer,
        config,
        worker,
        client,
        nobody,
    ) in rows:
        # proargnames also lists OUT arguments (claim_tasks' table columns): the
        # input arguments come first, proargtypes has only those
        arguments = tuple(
            Argument(names[i] if i < len(names) else f"${i + 1}", types[i], i >= count - defaults)
            for i in range(count)
        )
        roles_with_execute = {
            role for role, allowed in (("worker", worker), ("client", client), ("nobody", nobody))
            if allowed
        }  # fmt: skip
        functions.append(
            Function(
                name, signature, arguments, definer, tuple(config), frozenset(roles_with_execute)
            )
        )
    return functions
