"""Quoting: no slug or option value can break out of its literal in the compiled SQL.

Values come back from the database exactly as written, hostile slugs are
rejected by the database's slug check (they never reach the DSL, which
refuses them earlier), and the schema is intact afterwards.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from pgflow import Flow, InvalidSlugError, compile_flow, compile_shape, translate
from pgflow.define.shape import FlowShape, StepShape

HOSTILE = [
    "'",
    "''",
    "\\",
    "\\'",
    "it's",
    "'); drop table pgflow.flows; --",
    "x'); select pg_sleep(10); --",
    "$$; drop schema pgflow cascade; $$",
    "$pgflow$",
    "$pgflow$; drop table pgflow.flows; --",
    "$pgflow_1$",
    "E'\\x27'",
    "\\x27",
    "line\nbreak -- comment",
    "tab\there\r\n",
    "\u2028\u2029\x85",
    "é ✓ 名前 😀",
    "/* open comment",
    "\x01\x1f\x7f",
]


def apply(conn: psycopg.Connection[Any], compiled: str) -> None:
    try:
        conn.execute(compiled.encode())
    except psycopg.Error as error:
        raise translate(error) from error


def schema_intact(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "select count(*) from pg_catalog.pg_class "
        "where relnamespace = 'pgflow'::regnamespace and relkind in ('r', 'v') "
        "and relname in ('flows', 'steps', 'deps', 'runs')"
    ).fetchone()
    return row == (4,)


def test_condition_values_round_trip_exactly(conn: psycopg.Connection[Any]) -> None:
    condition: dict[str, Any] = {value: value for value in HOSTILE}
    condition["numbers"] = [1e-7, -0.0, 10**30, Decimal("1.50"), 0.1]
    flow = Flow("quoting_v1")
    flow.add_step("a", run_if={"run": condition}, run_unless={"x": HOSTILE})
    apply(conn, compile_flow(flow))

    row = conn.execute(
        "select run_if, run_unless from pgflow.steps where flow_slug = 'quoting_v1'"
    ).fetchone()
    assert row is not None
    run_if, run_unless = row
    for value in HOSTILE:
        assert run_if["run"][value] == value
    assert run_unless == {"x": HOSTILE}
    hash_row = conn.execute("select pgflow.flow_shape_hash('quoting_v1')").fetchone()
    assert hash_row == (flow.shape().hash(),)
    assert schema_intact(conn)


@pytest.mark.parametrize("slug", HOSTILE)
def test_hostile_flow_slugs_are_rejected_by_the_database(
    conn: psycopg.Connection[Any], slug: str
) -> None:
    # compile_shape skips the DSL's checks: the SQL is what is under test here
    shape = FlowShape(flow_slug=slug, steps=(StepShape(step_slug="a"),))
    compiled = compile_shape(shape)
    for line in compiled.splitlines():
        if line.startswith("--"):
            assert "\n" not in line  # the header cannot end early
    with pytest.raises(InvalidSlugError) as info:
        apply(conn, compiled)
    assert info.value.sqlstate == "PF001"
    assert conn.execute("select count(*) from pgflow.flows").fetchone() == (0,)
    assert schema_intact(conn)


@pytest.mark.parametrize("slug", HOSTILE)
def test_hostile_step_slugs_and_deps_are_rejected_by_the_database(
    conn: psycopg.Connection[Any], slug: str
) -> None:
    shape = FlowShape(
        flow_slug="hostile_steps",
        steps=(StepShape(step_slug="a"), StepShape(step_slug=slug, deps=("a", slug))),
    )
    with pytest.raises(InvalidSlugError):
        apply(conn, compile_shape(shape))
    assert conn.execute("select count(*) from pgflow.flows").fetchone() == (0,)
    assert schema_intact(conn)


def test_hostile_slugs_are_refused_by_the_dsl_before_any_sql() -> None:
    from pgflow import DefinitionError

    for slug in HOSTILE:
        with pytest.raises(DefinitionError):
            Flow(slug)
        with pytest.raises(DefinitionError):
            Flow("ok").add_step(slug)


def test_dollar_quote_tag_avoids_the_content() -> None:
    flow = Flow("tags")
    flow.add_step("a", run_if={"k": "$pgflow$ and $pgflow_1$"})
    compiled = compile_flow(flow)
    assert "do $pgflow_2$" in compiled
    assert compiled.rstrip().endswith("$pgflow_2$;")


def test_backslashes_use_escape_string_syntax_and_survive(conn: psycopg.Connection[Any]) -> None:
    value = "a\\b\\\\c\\'"
    flow = Flow("backslash")
    flow.add_step("a", run_if={"v": value})
    compiled = compile_flow(flow)
    assert "E'" in compiled
    apply(conn, compiled)
    # also under the legacy setting: E'' strings mean the same either way
    conn.execute("set standard_conforming_strings = off")
    try:
        apply(conn, compiled)  # a no-op: same shape
    finally:
        conn.execute("set standard_conforming_strings = on")
    row = conn.execute("select run_if from pgflow.steps where flow_slug = 'backslash'").fetchone()
    assert row == ({"v": value},)
    assert json.dumps(row[0]) == json.dumps({"v": value})
