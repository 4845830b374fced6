"""Attack (f): error messages stay bounded, and malformed arrays get a pgflow error.

A 10 MB slug used to come back in a 20 MB message (and log line). Each call
here must raise the expected pgflow SQLSTATE with a primary message, detail
and hint of at most 1 kB each; ``deps => '{{a}}'`` (a two-dimensional array)
must raise PF009, not 0A000.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from tests.chaos.attacks.context import Attack, attempt
from tests.chaos.harness.db import Conn
from tests.chaos.harness.figures import Figures

__all__ = ["run"]

HUGE = "x" * (10 << 20)
BOUND = 1024


def expect(
    figures: Figures, conn: Conn, what: str, expected: set[str], query: str, params: Any
) -> None:
    _, error = attempt(conn, query, params)
    figures.faults += 1
    figures.tasks_checked += 1
    if error is None:
        figures.check(False, f"{what}: no error, expected {'/'.join(sorted(expected))}")
        return
    figures.check(
        error.sqlstate in expected,
        f"{what}: {error.sqlstate} {error.message[:200]!r}, expected {'/'.join(sorted(expected))}",
    )
    sizes = {"message": len(error.message), "detail": len(error.detail), "hint": len(error.hint)}
    figures.check(
        max(sizes.values()) <= BOUND,
        f"{what}: unbounded error ({', '.join(f'{k} {v} chars' for k, v in sizes.items())})",
    )


def run(ctx: Attack, figures: Figures) -> None:
    flow = ctx.flow()
    admin = ctx.admin
    expect(
        figures,
        admin,
        "create_flow with a 10 MB slug",
        {"PF001"},
        "select pgflow.create_flow(%s)",
        (HUGE,),
    )
    expect(
        figures,
        admin,
        "add_step with a 10 MB step slug",
        {"PF001"},
        "select pgflow.add_step(%s, %s)",
        (flow, HUGE),
    )
    expect(
        figures,
        admin,
        "add_step of a 10 MB flow slug",
        {"PF001", "PF002"},
        "select pgflow.add_step(%s, 'ok')",
        (HUGE,),
    )
    expect(
        figures,
        admin,
        "add_step with a 10 MB dependency",
        {"PF001", "PF003"},
        "select pgflow.add_step(%s, 'ok', deps => array[%s])",
        (flow, HUGE),
    )
    expect(
        figures,
        admin,
        "add_step(deps => '{{a}}')",
        {"PF009"},
        "select pgflow.add_step(%s, 'ok', deps => '{{a}}')",
        (flow,),
    )
    expect(
        figures,
        admin,
        "add_step(deps => '{{a,b},{c,d}}')",
        {"PF009"},
        "select pgflow.add_step(%s, 'ok', deps => '{{a,b},{c,d}}')",
        (flow,),
    )
    with ctx.connect_as(ctx.roles.client) as client:
        expect(
            figures,
            client,
            "start_flow of a 10 MB flow slug (client)",
            {"PF001", "PF002"},
            "select pgflow.start_flow(%s)",
            (HUGE,),
        )
    with ctx.connect_as(ctx.roles.worker) as worker:
        expect(
            figures,
            worker,
            "complete_task of a 10 MB step slug (worker)",
            {"PF004", "PF010"},
            "select pgflow.complete_task(%s, %s, '{}', 0, 1)",
            (uuid4(), HUGE),
        )
        expect(
            figures,
            worker,
            "fail_task of a 10 MB step slug (worker)",
            {"PF004", "PF010"},
            "select pgflow.fail_task(%s, %s, 'x', 0, 1)",
            (uuid4(), HUGE),
        )
        expect(
            figures,
            worker,
            "verify_flow of a 10 MB flow slug (worker)",
            {"PF001", "PF002"},
            "select pgflow.verify_flow(%s, 'h', array['s'])",
            (HUGE,),
        )
        expect(
            figures,
            worker,
            "complete_tasks with two-dimensional arrays (worker)",
            {"PF009"},
            "select pgflow.complete_tasks(array[array[%s::uuid]], array[array['s']],"
            " array[array['{}'::jsonb]], array[array[0]], array[array[1]])",
            (uuid4(),),
        )
