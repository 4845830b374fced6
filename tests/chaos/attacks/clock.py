"""Attack (b): moving pgflow's clock from a worker or client session.

``set pgflow.fake_now`` (or ``set_config``) is a setting any session may
set. It must not change what claim_tasks and start_flow do: another
worker's valid lease stays valid, a new lease is the step timeout from the
server's time, and a run's ``started_at`` is the server's time. The
owner-only test clock must not be settable by either role.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from psycopg import sql
from tests.chaos.attacks.context import Attack, attempt
from tests.chaos.harness.db import Conn, scalar
from tests.chaos.harness.figures import Figures

__all__ = ["run"]

FUTURE = "2999-01-01 00:00:00+00"
PAST = "1970-01-01 00:00:00+00"
TIMEOUT = 60


def move_clock(conn: Conn, to: str) -> str:
    """Try both ways a session sets a setting; returns what happened, for the notes."""
    _, error = attempt(conn, sql.SQL("set pgflow.fake_now = {}").format(sql.Literal(to)))
    _, error2 = attempt(conn, "select pg_catalog.set_config('pgflow.fake_now', %s, false)", (to,))
    refused = [e.sqlstate for e in (error, error2) if e is not None]
    return f"refused ({', '.join(str(s) for s in refused)})" if refused else "accepted"


def worker_attack(ctx: Attack, figures: Figures) -> None:
    flow = ctx.flow(timeout=TIMEOUT)
    with (
        ctx.connect_as(ctx.roles.client) as client,
        ctx.connect_as(ctx.roles.worker) as honest,
        ctx.connect_as(ctx.roles.worker) as attacker,
    ):
        held = ctx.start(client, flow)
        honest_id = uuid4()
        claimed = honest.execute(
            "select run_id from pgflow.claim_tasks(%s, 1, array[%s])", (honest_id, flow)
        ).fetchall()
        figures.check(claimed == [(held,)], f"set-up: the honest worker claimed {claimed}")
        queued = ctx.start(client, flow)
        outcome = move_clock(attacker, FUTURE)
        figures.note(f"worker session setting pgflow.fake_now: {outcome}")
        rows = attacker.execute(
            "select run_id, attempt, lease_expires_at - pg_catalog.statement_timestamp()"
            " from pgflow.claim_tasks(%s, 10, array[%s])",
            (uuid4(), flow),
        ).fetchall()
        figures.faults += 1
        taken = {row[0] for row in rows}
        figures.check(
            held not in taken,
            "clock attack: a worker with pgflow.fake_now in 2999 took over another worker's "
            "valid lease",
        )
        figures.check(
            taken == {queued},
            f"clock attack: the attacker claimed {sorted(map(str, taken))}, "
            "expected only the queued run",
        )
        for _, _, lease in rows:
            figures.check(
                timedelta(seconds=TIMEOUT - 10) <= lease <= timedelta(seconds=TIMEOUT + 10),
                f"clock attack: a lease of {lease} from the server's time (timeout {TIMEOUT} s)",
            )
        status = scalar(ctx.admin, "select status from pgflow.runs where run_id = %s", (held,))
        holder = scalar(
            ctx.admin, "select claimed_by from pgflow.step_tasks where run_id = %s", (held,)
        )
        figures.check(
            status == "started" and holder == honest_id,
            f"clock attack: the honest worker's run is {status}, its task held by {holder}",
        )


def client_attack(ctx: Attack, figures: Figures) -> None:
    flow = ctx.flow()
    with ctx.connect_as(ctx.roles.client) as client:
        outcome = move_clock(client, PAST)
        figures.note(f"client session setting pgflow.fake_now: {outcome}")
        run_id = ctx.start(client, flow)
        figures.faults += 1
        skew = scalar(
            ctx.admin,
            "select abs(extract(epoch from started_at - pg_catalog.now()))"
            " from pgflow.runs where run_id = %s",
            (run_id,),
        )
        figures.check(
            skew is not None and float(skew) < 60,
            f"clock attack: a client with pgflow.fake_now in 1970 started a run {skew} s "
            "away from the server's time",
        )


def test_clock_is_owner_only(ctx: Attack, figures: Figures) -> None:
    rows = ctx.admin.execute(
        "select p.oid::regprocedure::text,"
        " pg_catalog.has_function_privilege(%s, p.oid, 'execute'),"
        " pg_catalog.has_function_privilege(%s, p.oid, 'execute')"
        " from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'pgflow'::regnamespace and p.proname like '%%clock%%'",
        (ctx.roles.worker, ctx.roles.client),
    ).fetchall()
    for signature, worker, client in rows:
        figures.check(
            not worker and not client,
            f"clock attack: {signature} is executable by a worker or client role",
        )


def run(ctx: Attack, figures: Figures) -> None:
    worker_attack(ctx, figures)
    client_attack(ctx, figures)
    test_clock_is_owner_only(ctx, figures)
