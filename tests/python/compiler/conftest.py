"""Hypothesis strategies for flows and jsonb values, shared as fixtures.

Tests draw from them with ``st.data()`` (``data.draw(flows)``), which keeps
the strategies in one place without importing a test module.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import strategies as st

from pgflow import Flow
from pgflow.jsonb import JsonObject, JsonValue

MAX_STEPS = 200

# Everything jsonb can hold: no U+0000, no lone surrogates.
json_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    max_size=12,
)
odd_text = st.one_of(
    json_text,
    st.sampled_from(
        [
            "'",
            "''",
            "\\",
            "\\'",
            '"',
            "$$",
            "$pgflow$",
            "$pgflow_1$",
            "'); drop table pgflow.flows; --",
            "E'\\x27'",
            "\u2028\u2029",
            "\x7f\x01\x1f",
            "é✓😀",
        ]
    ),
)
json_scalars: st.SearchStrategy[JsonValue] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.builds(
        lambda digits, exponent: Decimal(digits).scaleb(exponent),
        st.integers(min_value=-(10**25), max_value=10**25),
        st.integers(min_value=-30, max_value=10),
    ),
    odd_text,
)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(odd_text, children, max_size=4),
    ),
    max_leaves=10,
)
json_objects: st.SearchStrategy[JsonObject] = st.dictionaries(odd_text, json_values, max_size=4)

slug_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
step_slugs = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from("aZ_"),
        st.text(slug_chars, min_size=100, max_size=127),
    ),
).filter(lambda slug: slug != "run")
flow_slugs = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)

optional_attempts = st.none() | st.integers(min_value=1, max_value=10)
optional_delay = st.none() | st.integers(min_value=0, max_value=3600)
optional_timeout = st.none() | st.integers(min_value=1, max_value=86400)
policies = st.sampled_from(["fail", "skip", "skip-cascade"])


@st.composite
def step_options(draw: st.DrawFn) -> dict[str, Any]:
    """Options for one step: mostly defaults, sometimes everything."""
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        return {}
    return {
        "max_attempts": draw(optional_attempts),
        "base_delay": draw(optional_delay),
        "timeout": draw(optional_timeout),
        "delay_seconds": draw(st.integers(min_value=0, max_value=604800)),
        "run_if": draw(st.none() | json_objects),
        "run_unless": draw(st.none() | json_objects),
        "when_unmet": draw(policies),
        "when_exhausted": draw(policies),
    }


ODD_VALUES: list[JsonValue] = [
    "'; drop table pgflow.flows; --",
    "$pgflow$",
    "back\\slash",
    "é✓😀",
    "\n\t\x01",
    1e-7,
    -0.0,
    10**30,
    Decimal("1.50"),
    [1, [2, {"k": None}]],
    {"nested": {"deeper": True}},
]


def _random_options(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.6:
        return {}

    def maybe(low: int, high: int) -> int | None:
        return None if rng.random() < 0.5 else rng.randint(low, high)

    def condition() -> JsonObject | None:
        if rng.random() < 0.6:
            return None
        return {rng.choice(["run", "a", "ключ", "k'"]): rng.choice(ODD_VALUES)}

    return {
        "max_attempts": maybe(1, 10),
        "base_delay": maybe(0, 3600),
        "timeout": maybe(1, 86400),
        "delay_seconds": rng.choice([0, 0, 5, 604800]),
        "run_if": condition(),
        "run_unless": condition(),
        "when_unmet": rng.choice(["fail", "skip", "skip-cascade"]),
        "when_exhausted": rng.choice(["fail", "skip", "skip-cascade"]),
    }


def _large_flow(slug: str, size: int, rng: random.Random) -> Flow[Any]:
    """A big random flow from a seed: few bytes of hypothesis entropy per flow.

    Hypothesis caps the entropy one example may draw, so a 200-step flow drawn
    step by step would be discarded; the seed keeps it reproducible instead.
    """
    flow = Flow(slug, max_attempts=rng.randint(1, 10), timeout=rng.randint(1, 3600))
    slugs: list[str] = []
    for index in range(size):
        step_slug = f"{rng.choice(['s', 'Step', '_x'])}{index}_{rng.randrange(36**3):x}"
        is_map = rng.random() < 0.2
        width = 1 if is_map else rng.choice([0, 1, 1, 2, 3, 6])
        deps = rng.sample(slugs, min(width, len(slugs)))
        flow.add_step(step_slug, depends_on=deps, map=is_map, **_random_options(rng))
        slugs.append(step_slug)
    return flow


@st.composite
def flows_strategy(
    draw: st.DrawFn, max_steps: int = MAX_STEPS, large_only: bool = False
) -> Flow[Any]:
    """A random valid flow: steps in topological order with random deps, options, maps.

    Small flows are drawn step by step (so failures shrink to a minimal flow);
    a third of the examples are large (three quarters of ``max_steps`` or
    more) and built from a drawn seed.
    """
    slug = draw(flow_slugs)
    if large_only or (max_steps > 40 and draw(st.integers(min_value=0, max_value=2)) == 0):
        size = draw(st.integers(min_value=max_steps * 3 // 4, max_value=max_steps))
        return _large_flow(slug, size, random.Random(draw(st.integers(0, 2**32))))
    size = draw(st.integers(min_value=1, max_value=min(max_steps, 40)))
    slugs = draw(st.lists(step_slugs, min_size=size, max_size=size, unique=True))
    flow = Flow(
        slug,
        max_attempts=draw(st.integers(min_value=1, max_value=10)),
        base_delay=draw(st.integers(min_value=0, max_value=60)),
        timeout=draw(st.integers(min_value=1, max_value=3600)),
    )
    for index, step_slug in enumerate(slugs):
        is_map = draw(st.integers(min_value=0, max_value=4)) == 0
        earlier = slugs[:index]
        deps: list[str] = []
        if earlier:
            deps = draw(
                st.lists(
                    st.sampled_from(earlier),
                    unique=True,
                    max_size=1 if is_map else min(len(earlier), 6),
                )
            )
        flow.add_step(step_slug, depends_on=deps, map=is_map, **draw(step_options()))
    return flow


@pytest.fixture(scope="session")
def flows() -> st.SearchStrategy[Flow[Any]]:
    """Random valid flows of 1 to 200 steps."""
    return flows_strategy()


@pytest.fixture(scope="session")
def large_flows() -> st.SearchStrategy[Flow[Any]]:
    """Random valid flows of 150 to 200 steps."""
    return flows_strategy(large_only=True)


@pytest.fixture(scope="session")
def small_flows() -> st.SearchStrategy[Flow[Any]]:
    """Random valid flows of 1 to 12 steps (for tests that do more per example)."""
    return flows_strategy(max_steps=12)


@pytest.fixture(scope="session")
def jsonb_values() -> st.SearchStrategy[JsonValue]:
    """Nested JSON values jsonb can store, with awkward strings and numbers."""
    return json_values


def reset_flows(conn: psycopg.Connection[Any]) -> None:
    """Drop every flow (hypothesis reuses one database across examples)."""
    conn.execute("select pg_catalog.set_config('pgflow.allow_drop_flow', 'on', false)")
    conn.execute("select pgflow.drop_flow(flow_slug) from pgflow.flows")


@pytest.fixture(scope="session")
def reset() -> Any:
    """``reset(conn)``: drop every flow in the test database."""
    return reset_flows
