"""Compile → apply → compare, on random flows against the real server.

For random DAGs (up to 200 steps, random deps, options, map steps and
conditions): the database's shape equals the DSL's, byte for byte, and so do
the hashes; applying the migration again changes nothing; and any single
mutation of the flow under the same slug is rejected with nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgflow import Flow, ShapeMismatchError, compile_flow, translate
from pgflow.define.shape import FlowShape, StepShape
from pgflow.jsonb import JsonValue, jsonb_text


def db_settings(max_examples: int) -> settings:
    """One database per test function, shared by its examples (each resets it)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


Reset = Callable[[psycopg.Connection[Any]], None]


def apply(conn: psycopg.Connection[Any], compiled: str) -> None:
    try:
        conn.execute(compiled.encode())
    except psycopg.Error as error:
        raise translate(error) from error


def snapshot(conn: psycopg.Connection[Any], slug: str) -> tuple[Any, ...]:
    """Everything the definition tables hold about a flow."""
    shape = conn.execute("select pgflow.flow_shape(%s)::text", (slug,)).fetchone()
    steps = conn.execute(
        "select step_slug, step_index, step_type, options, conditions from pgflow.steps "
        "where flow_slug = %s order by step_index",
        (slug,),
    ).fetchall()
    deps = conn.execute(
        "select dep_slug, step_slug from pgflow.deps where flow_slug = %s "
        "order by step_slug, dep_slug",
        (slug,),
    ).fetchall()
    flows = conn.execute("select count(*) from pgflow.flows").fetchone()
    return (shape, steps, deps, flows)


@db_settings(40)
@given(data=st.data())
def test_database_shape_and_hash_equal_the_dsl(
    conn: psycopg.Connection[Any], flows: st.SearchStrategy[Flow[Any]], reset: Reset, data: Any
) -> None:
    reset(conn)
    flow = data.draw(flows)
    compiled = compile_flow(flow)
    apply(conn, compiled)

    row = conn.execute(
        "select pgflow.flow_shape(%(s)s)::text, pgflow.flow_shape_hash(%(s)s)", {"s": flow.slug}
    ).fetchone()
    assert row is not None
    assert row[0] == flow.shape().text()
    assert row[1] == flow.shape().hash()

    # definition order is kept as step_index
    indexes = conn.execute(
        "select step_slug from pgflow.steps where flow_slug = %s order by step_index",
        (flow.slug,),
    ).fetchall()
    assert [slug for (slug,) in indexes] == [step.slug for step in flow.steps]

    # applying the same migration again is a no-op
    before = snapshot(conn, flow.slug)
    apply(conn, compiled)
    assert snapshot(conn, flow.slug) == before


@db_settings(60)
@given(data=st.data())
def test_hash_of_odd_condition_values_matches_the_server(
    conn: psycopg.Connection[Any],
    jsonb_values: st.SearchStrategy[JsonValue],
    reset: Reset,
    data: Any,
) -> None:
    reset(conn)
    value = data.draw(jsonb_values)
    flow = Flow("odd_values")
    flow.add_step("a", run_if={"v": value}, run_unless={"w": [value]})
    apply(conn, compile_flow(flow))
    row = conn.execute(
        "select pgflow.flow_shape_hash('odd_values'), "
        "(select run_if::text from pgflow.steps where flow_slug = 'odd_values')"
    ).fetchone()
    assert row is not None
    assert row[1] == jsonb_text({"v": value})
    assert row[0] == flow.shape().hash()


def _plain_json(value: JsonValue) -> bool:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return False
    if isinstance(value, list):
        return all(_plain_json(item) for item in value)
    if isinstance(value, dict):
        return all(_plain_json(item) for item in value.values())
    return True


@db_settings(100)
@given(data=st.data())
def test_jsonb_text_equals_the_server_output_for_standard_json(
    conn: psycopg.Connection[Any], jsonb_values: st.SearchStrategy[JsonValue], data: Any
) -> None:
    # json.dumps writes floats in exponent form (1e-07): the server's numeric
    # output must still equal ours.
    value = data.draw(jsonb_values.filter(_plain_json))
    row = conn.execute("select %s::jsonb::text", (json.dumps(value),)).fetchone()
    assert row is not None
    assert row[0] == jsonb_text(value)


# -- mutations ---------------------------------------------------------------


def _replace_step(shape: FlowShape, index: int, step: StepShape) -> FlowShape:
    steps = list(shape.steps)
    steps[index] = step
    return FlowShape(
        shape.flow_slug, shape.max_attempts, shape.base_delay, shape.timeout, tuple(steps)
    )


def _rebuild(shape: FlowShape) -> Flow[Any]:
    flow: Flow[Any] = Flow(
        shape.flow_slug,
        max_attempts=shape.max_attempts,
        base_delay=shape.base_delay,
        timeout=shape.timeout,
    )
    for step in shape.steps:
        flow.add_step(
            step.step_slug,
            depends_on=step.deps,
            map=step.step_type == "map",
            max_attempts=step.max_attempts,
            base_delay=step.base_delay,
            timeout=step.timeout,
            delay_seconds=step.delay_seconds,
            run_if=step.run_if,
            run_unless=step.run_unless,
            when_unmet=step.when_unmet,
            when_exhausted=step.when_exhausted,
        )
    return flow


MUTATIONS = [
    "add_step",
    "remove_leaf",
    "add_dep",
    "remove_dep",
    "toggle_type",
    "change_condition",
    "change_step_option",
    "change_policy",
    "change_flow_option",
]


@st.composite
def mutated(draw: st.DrawFn, shape: FlowShape) -> tuple[str, FlowShape]:
    """One single change to ``shape`` that keeps it a valid flow."""
    steps = list(shape.steps)
    slugs = [step.step_slug for step in steps]
    kind = draw(st.sampled_from(MUTATIONS))
    index = draw(st.integers(min_value=0, max_value=len(steps) - 1))
    step = steps[index]
    if kind == "add_step":
        new_slug = draw(
            st.from_regex(r"new_[a-z0-9]{1,8}", fullmatch=True).filter(lambda s: s not in slugs)
        )
        deps = tuple(draw(st.lists(st.sampled_from(slugs), unique=True, max_size=3)))
        added = StepShape(step_slug=new_slug, deps=deps)
        return kind, FlowShape(
            shape.flow_slug,
            shape.max_attempts,
            shape.base_delay,
            shape.timeout,
            (*shape.steps, added),
        )
    if kind == "remove_leaf" and len(steps) > 1:
        used = {dep for other in steps for dep in other.deps}
        leaves = [i for i, other in enumerate(steps) if other.step_slug not in used]
        drop = draw(st.sampled_from(leaves))
        remaining = tuple(other for i, other in enumerate(steps) if i != drop)
        return kind, FlowShape(
            shape.flow_slug, shape.max_attempts, shape.base_delay, shape.timeout, remaining
        )
    if kind == "add_dep" and step.step_type == "single":
        candidates = [slug for slug in slugs[:index] if slug not in step.deps]
        if candidates:
            extra = draw(st.sampled_from(candidates))
            return kind, _replace_step(shape, index, _with(step, deps=(*step.deps, extra)))
    if kind == "remove_dep" and step.deps:
        gone = draw(st.sampled_from(step.deps))
        deps = tuple(dep for dep in step.deps if dep != gone)
        return kind, _replace_step(shape, index, _with(step, deps=deps))
    if kind == "toggle_type" and len(step.deps) <= 1:
        new_type = "single" if step.step_type == "map" else "map"
        return kind, _replace_step(shape, index, _with(step, step_type=new_type))
    if kind == "change_condition":
        new_condition = draw(st.dictionaries(st.text("abc", max_size=3), st.integers(), max_size=2))
        if new_condition == step.run_if:
            new_condition = {"changed": True} if step.run_if != {"changed": True} else {}
        return kind, _replace_step(shape, index, _with(step, run_if=new_condition))
    if kind == "change_step_option":
        name = draw(st.sampled_from(["max_attempts", "base_delay", "timeout", "delay_seconds"]))
        current = getattr(step, name)
        new_value = (current or 0) + 1
        if name != "delay_seconds" and current is not None and draw(st.booleans()):
            new_value = None  # from explicit to inherited: a different shape too
        return kind, _replace_step(shape, index, _with(step, **{name: new_value}))
    if kind == "change_policy":
        name = draw(st.sampled_from(["when_unmet", "when_exhausted"]))
        current = getattr(step, name)
        new_policy = draw(
            st.sampled_from([p for p in ("fail", "skip", "skip-cascade") if p != current])
        )
        return kind, _replace_step(shape, index, _with(step, **{name: new_policy}))
    # change_flow_option, and the fallback when a kind did not apply to this step
    name = draw(st.sampled_from(["max_attempts", "base_delay", "timeout"]))
    values = {
        "max_attempts": shape.max_attempts,
        "base_delay": shape.base_delay,
        "timeout": shape.timeout,
    }
    values[name] += 1
    return "change_flow_option", FlowShape(
        shape.flow_slug,
        steps=shape.steps,
        max_attempts=values["max_attempts"],
        base_delay=values["base_delay"],
        timeout=values["timeout"],
    )


def _with(step: StepShape, **changes: Any) -> StepShape:
    fields = {
        name: getattr(step, name)
        for name in (
            "step_slug",
            "step_type",
            "deps",
            "max_attempts",
            "base_delay",
            "timeout",
            "delay_seconds",
            "run_if",
            "run_unless",
            "when_unmet",
            "when_exhausted",
        )
    }
    fields.update(changes)
    return StepShape(**fields)


@db_settings(60)
@given(data=st.data())
def test_any_single_mutation_is_rejected_with_nothing_changed(
    conn: psycopg.Connection[Any],
    small_flows: st.SearchStrategy[Flow[Any]],
    reset: Reset,
    data: Any,
) -> None:
    reset(conn)
    flow = data.draw(small_flows)
    apply(conn, compile_flow(flow))
    before = snapshot(conn, flow.slug)

    kind, shape = data.draw(mutated(flow.shape()))
    changed = _rebuild(shape)
    assert changed.shape().hash() != flow.shape().hash(), kind

    with pytest.raises(ShapeMismatchError) as info:
        apply(conn, compile_flow(changed))
    assert info.value.sqlstate == "PF008"
    assert flow.slug in str(info.value)
    assert snapshot(conn, flow.slug) == before


@db_settings(5)
@given(data=st.data())
def test_a_mutation_of_a_large_flow_is_rejected(
    conn: psycopg.Connection[Any],
    large_flows: st.SearchStrategy[Flow[Any]],
    reset: Reset,
    data: Any,
) -> None:
    reset(conn)
    flow = data.draw(large_flows)
    apply(conn, compile_flow(flow))
    before = snapshot(conn, flow.slug)
    kind, shape = data.draw(mutated(flow.shape()))
    with pytest.raises(ShapeMismatchError):
        apply(conn, compile_flow(_rebuild(shape)))
    assert snapshot(conn, flow.slug) == before, kind
