"""Hostile argument values, by SQL type, as hypothesis strategies.

Each generated argument is an :class:`Arg`: the Python value psycopg sends
(JSON is sent as text and cast on the server, so invalid and deeply nested
documents reach the server as written), and whether the value is genuinely
huge (for which a class 54 "program limit exceeded" error is acceptable).
Known values (existing flow and step slugs, run ids, worker ids) are mixed
in, so calls get past "not found" and into the code behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

__all__ = ["OMIT", "Arg", "Known", "strategy_for", "typical"]

OMIT: Any = object()
"""Leave a defaulted argument out of the call."""

HUGE_TEXT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Arg:
    value: Any
    huge: bool = False

    def short(self) -> str:
        """A readable, bounded repr for reports."""
        text = repr(self.value)
        return text if len(text) <= 160 else f"{text[:120]}... ({len(text)} chars)"


@dataclass(frozen=True, slots=True)
class Known:
    """Values read from the database before a function is fuzzed."""

    flow_slugs: list[str]
    step_slugs: list[str]
    run_ids: list[UUID]
    worker_ids: list[UUID]


def weighted(*choices: tuple[int, st.SearchStrategy[Arg]]) -> st.SearchStrategy[Arg]:
    """Pick a strategy with the given weights (huge values must stay rare)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


def plain(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Arg]:
    return strategy.map(Arg)


NULL = st.just(Arg(None))

# -- text ---------------------------------------------------------------------------------

METACHARACTERS = [
    "'",
    "''",
    '"',
    "\\",
    "'; drop table pgflow.runs; --",
    "$$; select pg_sleep(1); $$",
    "%s %L %I %%",
    "a' or '1'='1",
    "E'\\x41'",
    "pg_temp.evil",
    "pgflow.flows",
    "run",
    "*",
    "",
    " ",
    "\t\n\r",
]
ODD_CODE_POINTS = [
    "\u202e\u202d",  # bidirectional overrides
    "\u200b\u200d\ufeff",  # zero width
    "\uffff\ufffe",  # noncharacters
    "\U0010ffff",  # the last code point
    "e\u0301\u0301\u0301",  # combining marks
    "\U0001f600" * 40,  # emoji, 4-byte UTF-8
    "\x01\x1f\x7f",  # control characters (NUL cannot be sent)
    "\u0130\u0131\u017fK",  # case folding surprises (dotted I, dotless i, long s)
]
HUGE_TEXTS = [
    "x" * HUGE_TEXT_BYTES,
    "é" * (HUGE_TEXT_BYTES // 2),
    "a" * (10 * HUGE_TEXT_BYTES),
]

NO_NUL = st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])


def text_values(known: list[str]) -> st.SearchStrategy[Arg]:
    return weighted(
        (6, plain(st.sampled_from(known))),
        (2, plain(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True))),
        (2, plain(st.text(NO_NUL, max_size=40))),
        (2, plain(st.sampled_from(METACHARACTERS))),
        (2, plain(st.sampled_from(ODD_CODE_POINTS))),
        (1, plain(st.sampled_from(["a" * 128, "a" * 129, "a" * 1000]))),
        (1, st.sampled_from(HUGE_TEXTS).map(lambda t: Arg(t, huge=True))),
        (1, NULL),
    )


# -- json ---------------------------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
WRONG_TYPES = ['"a string"', "123", "-1.5e308", "1e400", "null", "true", "[]", "{}", "[[]]"]
INVALID_JSON = ["", "{", "[1,]", "{'a': 1}", "NaN", '{"a": "\\u0000"}', "\\x00"]


def deep(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


KINDS = st.sampled_from(["array", "object"])
BIG_DOCUMENTS = [json.dumps(list(range(200_000))), json.dumps({"s": "x" * HUGE_TEXT_BYTES})]


def json_values(known_objects: list[str]) -> st.SearchStrategy[Arg]:
    deep_sizes = st.sampled_from([100, 2_000, 5_000])
    return weighted(
        (4, plain(JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)))),
        (3, plain(st.sampled_from(known_objects))),
        (2, plain(st.sampled_from(WRONG_TYPES))),
        (1, plain(st.sampled_from(INVALID_JSON))),
        (2, st.tuples(deep_sizes, KINDS).map(lambda d: Arg(deep(*d)))),
        (1, KINDS.map(lambda kind: Arg(deep(200_000, kind), huge=True))),
        (1, st.sampled_from(BIG_DOCUMENTS).map(lambda text: Arg(text, huge=True))),
        (1, NULL),
    )  # fmt: skip


# -- numbers, ids, time ---------------------------------------------------------------------

EDGE_INTEGERS = [0, 1, 2, 3, 7, -1, -2, 100_000, 2**31 - 1, -(2**31), 2**31 - 2]


def integer_values() -> st.SearchStrategy[Arg]:
    return weighted(
        (3, plain(st.integers(-3, 10))),
        (3, plain(st.sampled_from(EDGE_INTEGERS))),
        (1, NULL),
    )


def bigint_values() -> st.SearchStrategy[Arg]:
    return weighted(
        (3, plain(st.integers(-3, 10))),
        (2, plain(st.sampled_from([2**63 - 1, -(2**63), 2**31]))),
        (1, NULL),
    )


def uuid_values(known: list[UUID]) -> st.SearchStrategy[Arg]:
    return weighted(
        (6, plain(st.sampled_from(known))),
        (2, plain(st.uuids())),
        (1, plain(st.just(UUID(int=0)))),
        (1, NULL),
    )


INTERVALS = [
    "0",
    "1 microsecond",
    "1 second",
    "-1 day",
    "100 years",
    "-100 years",
    "178000000 years",
]
TIMESTAMPS = [
    "infinity",
    "-infinity",
    "2999-01-01",
    "1970-01-01",
    "epoch",
    "294276-12-31",
    "4713-01-01 BC",
]


def choice_of(values: list[str]) -> st.SearchStrategy[Arg]:
    return weighted((4, plain(st.sampled_from(values))), (1, NULL))


# -- arrays -----------------------------------------------------------------------------------


def array_values(element: st.SearchStrategy[Arg]) -> st.SearchStrategy[Arg]:
    """One-dimensional lists (nulls inside too), two-dimensional ones, empty, null."""
    flat = st.lists(element, max_size=4).map(
        lambda items: Arg([a.value for a in items], huge=any(a.huge for a in items))
    )
    square = (
        st.integers(1, 2)
        .flatmap(
            lambda n: st.lists(st.lists(element, min_size=n, max_size=n), min_size=1, max_size=2)
        )
        .map(
            lambda rows: Arg(
                [[a.value for a in row] for row in rows],
                huge=any(a.huge for row in rows for a in row),
            )
        )
    )
    return weighted((6, flat), (2, square), (1, plain(st.just([]))), (1, NULL))  # fmt: skip


# -- by type ------------------------------------------------------------------------------------


def strategy_for(sql_type: str, known: Known) -> st.SearchStrategy[Arg] | None:
    """The strategy for an argument of ``sql_type``; None for a type the fuzzer cannot make."""
    slugs = sorted({*known.flow_slugs, *known.step_slugs}) or ["missing"]
    objects = ['{"run": {}}', '{"x": 1}', '{"go": true}', json.dumps({"numbers": [1, 2]})]
    ids = known.run_ids + known.worker_ids or [UUID(int=1)]
    scalars: dict[str, Callable[[], st.SearchStrategy[Arg]]] = {
        "text": lambda: text_values(slugs),
        "jsonb": lambda: json_values(objects),
        "json": lambda: json_values(objects),
        "integer": integer_values,
        "smallint": lambda: plain(st.integers(-(2**15), 2**15 - 1)) | NULL,
        "bigint": bigint_values,
        "uuid": lambda: uuid_values(ids),
        "boolean": lambda: plain(st.booleans()) | NULL,
        "interval": lambda: choice_of(INTERVALS),
        "timestamp with time zone": lambda: choice_of(TIMESTAMPS),
    }
    if sql_type.endswith("[]"):
        element = scalars.get(sql_type[:-2])
        return None if element is None else array_values(element())
    make = scalars.get(sql_type)
    return None if make is None else make()


def typical(sql_type: str, known: Known) -> Arg:
    """An ordinary value of ``sql_type`` (explicit examples vary one argument around these)."""
    ordinary: dict[str, Any] = {
        "text": (known.flow_slugs or ["missing"])[0],
        "jsonb": "{}",
        "json": "{}",
        "integer": 1,
        "smallint": 1,
        "bigint": 1,
        "uuid": (known.run_ids or [UUID(int=1)])[0],
        "boolean": True,
        "interval": "1 second",
        "timestamp with time zone": "2030-01-01",
    }
    if sql_type.endswith("[]"):
        element = ordinary.get(sql_type[:-2])
        return Arg(None if element is None else [element])
    return Arg(ordinary.get(sql_type))
