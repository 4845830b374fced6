"""An upgraded pgflow is the same as a fresh one: extension and plain script alike.

For every released version frozen in ``extension/history/`` (0.1.0 and 0.2.0 today):

* extension: ``create extension pgflow version 'OLD'`` then ``alter extension
  pgflow update`` has the same schema as ``create extension pgflow``
  (functions with their full definitions and settings, columns in order,
  constraints, indexes, comments, grants, what the extension owns);
* plain: OLD's plain script, then the current plain script over it, has the
  same schema as the current plain script alone (and the same ``pg_dump``).

A failure lists what differs: lines "missing" are in the fresh install only
(the upgrade must add them: a table change in extension/upgrades/, see its
README), lines "extra" only in the upgraded one (the upgrade must remove them).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgflow.define.install import extension_version

ROOT = Path(__file__).resolve().parents[3]
HISTORY = ROOT / "extension" / "history"
RELEASED = sorted(
    (
        m.group(1)
        for p in HISTORY.glob("pgflow--*.sql")
        if (m := re.fullmatch(r"pgflow--([\d.]+)\.sql", p.name))
    ),
    key=lambda v: tuple(int(x) for x in v.split(".")),
)
EXTENSION_ONLY_MARKER = "\n-- source: extension/extension_only.sql\n"


def released_plain_script(version: str) -> str:
    """The plain script of a release, as its Makefile built it from the same sources:
    the extension script without its psql guard and extension-only part, in one
    transaction of its own (the scripts before 0.2.0 had begin/commit)."""
    text = (HISTORY / f"pgflow--{version}.sql").read_text(encoding="utf-8")
    body = text.split("\\quit\n", 1)[1].split(EXTENSION_ONLY_MARKER, 1)[0]
    return f"begin;\ncreate schema if not exists pgflow;\n{body}\ncommit;\n"


def assert_same(upgraded: list[str], fresh: list[str], what: str) -> None:
    if upgraded == fresh:
        return
    missing = sorted(set(fresh) - set(upgraded))
    extra = sorted(set(upgraded) - set(fresh))
    report = [f"{what}: an upgraded schema differs from a fresh one"]
    for title, lines in (("missing after the upgrade", missing), ("extra", extra)):
        if lines:
            report.append(f"-- {title} ({len(lines)}):")
            report.extend(line[:400] for line in lines[:20])
    if not missing and not extra:
        report.append("(same lines, different multiplicity)")
    raise AssertionError("\n".join(report))


def assert_same_dump(upgraded: str, fresh: str) -> None:
    if upgraded != fresh:
        diff = difflib.unified_diff(
            fresh.splitlines(), upgraded.splitlines(), "fresh", "upgraded", lineterm="", n=2
        )
        raise AssertionError("pg_dump differs:\n" + "\n".join(list(diff)[:120]))


def test_there_is_a_released_version_to_upgrade_from() -> None:
    assert RELEASED, f"no frozen releases in {HISTORY}"
    assert extension_version() not in RELEASED, "the current version must not be frozen yet"


@pytest.mark.parametrize("old", RELEASED)
def test_alter_extension_update_gives_a_fresh_install(
    old: str, new_database: Callable[[], str], schema_of: Callable[..., list[str]]
) -> None:
    fresh, upgraded = new_database(), new_database()
    with psycopg.connect(fresh, autocommit=True) as conn:
        conn.execute("create extension pgflow")
    with psycopg.connect(upgraded, autocommit=True) as conn:
        conn.execute(sql.SQL("create extension pgflow version {}").format(sql.Literal(old)))
        conn.execute("alter extension pgflow update")
        row = conn.execute("select extversion from pg_extension where extname = 'pgflow'")
        assert row.fetchone() == (extension_version(),)
    assert_same(
        schema_of(upgraded, extension=True), schema_of(fresh, extension=True), f"extension {old}"
    )


@pytest.mark.parametrize("old", RELEASED)
def test_the_plain_script_upgrades_an_older_plain_install(
    old: str,
    new_database: Callable[[], str],
    schema_of: Callable[..., list[str]],
    pg_dump_schema: Callable[[str], str],
    sql_files: Path,
) -> None:
    plain = (sql_files / "pgflow_plain.sql").read_text(encoding="utf-8").encode()
    fresh, upgraded = new_database(), new_database()
    with psycopg.connect(fresh, autocommit=True) as conn:
        conn.execute(plain)
    with psycopg.connect(upgraded, autocommit=True) as conn:
        conn.execute(released_plain_script(old).encode())
        conn.execute(plain)
    assert_same(schema_of(upgraded), schema_of(fresh), f"plain {old}")
    assert_same_dump(pg_dump_schema(upgraded), pg_dump_schema(fresh))


@pytest.mark.parametrize("old", RELEASED)
def test_an_upgrade_keeps_flows_and_runs(old: str, new_database: Callable[[], str]) -> None:
    url = new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create extension pgflow version {}").format(sql.Literal(old)))
        conn.execute("select pgflow.create_flow('upgrade_me')")
        conn.execute("select pgflow.add_step('upgrade_me', 'first')")
        conn.execute("select pgflow.add_step('upgrade_me', 'second', array['first'])")
        conn.execute("select pgflow.start_flow('upgrade_me', '{\"n\": 1}')")
        conn.execute("alter extension pgflow update")
        row = conn.execute("select count(*) from pgflow.runs where status = 'started'").fetchone()
        assert row == (1,)
        claimed = conn.execute(
            "select step_slug, input from pgflow.claim_tasks(gen_random_uuid())"
        ).fetchall()
        assert claimed == [("first", {"run": {"n": 1}})]


OUTPUTS = """
select 'run ' || r.run_id || ' ' || r.status || ' ' || coalesce(r.output::text, 'null')
from pgflow.runs as r
union all
select 'step ' || ss.run_id || ' ' || ss.step_slug || ' ' || ss.status || ' '
       || coalesce(ss.output::text, 'null')
from pgflow.step_states as ss
order by 1
"""


@pytest.mark.parametrize("old", RELEASED)
def test_an_upgrade_keeps_every_output(old: str, new_database: Callable[[], str]) -> None:
    """0.3.0 stores an output once (in step_tasks) and derives the step's and the
    run's: what the old copies held, the views give, for single steps, map
    steps (in element order), empty maps, skipped leaves and unfinished runs."""
    url = new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create extension pgflow version {}").format(sql.Literal(old)))
        conn.execute("select pgflow.create_flow('outputs')")
        conn.execute("select pgflow.add_step('outputs', 'root')")
        conn.execute("select pgflow.add_step('outputs', 'each', array['root'], step_type => 'map')")
        conn.execute(
            "select pgflow.add_step('outputs', 'never', array['root'], "
            """run_if => '{"root": {"go": true}}')"""
        )
        conn.execute("select pgflow.add_step('outputs', 'after', array['root'])")
        conn.execute("select pgflow.create_flow('empty')")
        conn.execute("select pgflow.add_step('empty', 'each', step_type => 'map')")
        conn.execute("select pgflow.start_flow('empty', '[]')")
        for _ in range(2):
            conn.execute("select pgflow.start_flow('outputs', '{}')")
        conn.execute(
            "select pgflow.complete_task(c.run_id, c.step_slug, '[1, 2, 3]', c.task_index) "
            "from pgflow.claim_tasks(gen_random_uuid(), 10, array['outputs']) as c"
        )
        # one run completes (map elements last first), the other stays unfinished
        done = conn.execute(
            "select run_id from pgflow.runs where flow_slug = 'outputs' order by run_id limit 1"
        ).fetchone()
        assert done is not None
        conn.execute(
            "select pgflow.complete_task(c.run_id, c.step_slug, "
            "jsonb_build_object('i', c.task_index), c.task_index) "
            "from pgflow.claim_tasks(gen_random_uuid(), 10, array['outputs']) as c "
            "where c.run_id = %s order by c.task_index desc",
            done,
        )
        before = [row[0] for row in conn.execute(OUTPUTS)]
        conn.execute("alter extension pgflow update")
        after = [row[0] for row in conn.execute(OUTPUTS)]
    assert any(line.endswith("completed []") for line in before), before
    assert any(" each completed [" in line and '"i": 0' in line for line in before), before
    assert after == before
