"""jsonb_text reproduces PostgreSQL's jsonb output (the database comparison is in compiler/)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pgflow.jsonb import JsonValue, jsonb_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-17, "-17"),
        (10**40, "1" + "0" * 40),
        (1.5, "1.5"),
        (1.0, "1.0"),
        (-0.0, "0.0"),
        (1e16, "10000000000000000"),
        (1e-7, "0.0000001"),
        (1.5e-7, "0.00000015"),
        (1.25e20, "125000000000000000000"),
        (Decimal("1.50"), "1.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.000"), "0.000"),
        ("", '""'),
        ('quote " backslash \\', '"quote \\" backslash \\\\"'),
        ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
        ("\x01\x1f\x7f", '"\\u0001\\u001f\x7f"'),
        ("é ✓ 😀 \u2028", '"é ✓ 😀 \u2028"'),
        ("/", '"/"'),
        ([], "[]"),
        ({}, "{}"),
        ([1, [2, []], {"a": None}], '[1, [2, []], {"a": null}]'),
    ],
)
def test_scalars_arrays_and_escapes(value: JsonValue, text: str) -> None:
    assert jsonb_text(value) == text


def test_object_keys_sort_by_byte_length_then_bytes() -> None:
    value: JsonValue = {"bb": 1, "a": 2, "ccc": 3, "b": 4, "é": 5, "zz": 6, "B": 7}
    # "é" is two bytes in UTF-8, so it sorts with the two-letter keys
    assert jsonb_text(value) == '{"B": 7, "a": 2, "b": 4, "bb": 1, "zz": 6, "é": 5, "ccc": 3}'


def test_nested_objects_are_sorted_at_every_level() -> None:
    value: JsonValue = {"steps": [{"run_if": {"zz": 1, "a": 2}, "deps": []}], "flow_slug": "x"}
    assert jsonb_text(value) == (
        '{"steps": [{"deps": [], "run_if": {"a": 2, "zz": 1}}], "flow_slug": "x"}'
    )


def test_non_json_values_are_refused() -> None:
    with pytest.raises(TypeError):
        jsonb_text({1, 2})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="jsonb cannot hold"):
        jsonb_text(float("nan"))
