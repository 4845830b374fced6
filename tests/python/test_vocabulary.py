"""One vocabulary: Python's constants equal ``pgflow.vocabulary()``, and the code uses them."""

from __future__ import annotations

import dataclasses
from typing import get_args

import psycopg
from psycopg.rows import TupleRow

from pgflow import Flow, StepDefinition, StepShape, vocabulary
from pgflow.define.slugs import is_valid_slug


def test_the_python_mirror_equals_the_sql_source(conn: psycopg.Connection[TupleRow]) -> None:
    row = conn.execute("select pgflow.vocabulary()").fetchone()
    assert row is not None
    assert vocabulary.document() == row[0]


def test_the_literal_types_list_the_same_values_as_the_constants() -> None:
    assert get_args(vocabulary.StepType) == vocabulary.STEP_TYPES
    assert get_args(vocabulary.Policy) == vocabulary.POLICIES


def test_the_dsl_and_the_shape_default_to_the_vocabulary() -> None:
    flow = Flow("defaults")
    flow.add_step("only")
    shape = flow.shape()
    assert {name: getattr(shape, name) for name in vocabulary.FLOW_DEFAULTS} == dict(
        vocabulary.FLOW_DEFAULTS
    )
    step = shape.steps[0]
    assert {name: getattr(step, name) for name in vocabulary.STEP_DEFAULTS} == dict(
        vocabulary.STEP_DEFAULTS
    )
    assert StepShape("only") == step
    # an option not given takes the StepDefinition field's default
    defaults = {field.name: field.default for field in dataclasses.fields(StepDefinition)}
    for name in ("delay_seconds", "when_unmet", "when_exhausted"):
        assert defaults[name] == vocabulary.STEP_DEFAULTS[name]


def test_the_slug_rule_is_the_vocabulary_s() -> None:
    longest = "a" * vocabulary.SLUG_MAX_LENGTH
    assert is_valid_slug(longest)
    assert not is_valid_slug(longest + "a")
    assert not is_valid_slug("1abc")
    assert not is_valid_slug("abc\n")
