"""Flow → SQL: the text of a migration that registers a flow.

The output is one ``do`` block (a single statement, so it is atomic even in
autocommit mode and under migration tools that do not wrap files in a
transaction) calling, with named parameters:

1. if the flow already exists: ``pgflow.verify_flow(...)`` with the shape hash
   computed here, and nothing else (same shape: a no-op; any other shape,
   including one with fewer steps: ``PF008`` whose detail names each
   differing flow option, step and step option, since the shape document
   is passed too);
2. otherwise ``pgflow.create_flow(...)``, then ``pgflow.add_step(...)`` per
   step in definition order (a topological order), then ``verify_flow`` again,
   which proves the database computed the same shape hash as Python.

Any error rolls the whole block back: nothing changes.

A migration file is named ``YYYYMMDDHHMMSS_pgflow_<slug>.sql``
(:func:`migration_filename`) and its header records the shape hash;
:func:`existing_migrations` reads both back from a migrations folder, so
``pgflow compile --migrations-dir`` can tell a flow already written from a
changed one.

Output is deterministic: every non-null parameter is emitted, always in the
same order, deps sorted, so the same shape gives byte-identical SQL and
migrations diff cleanly in review.  Every value is quoted by
``psycopg.sql.Literal``; nothing is escaped by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from psycopg import sql

from pgflow.define.dsl import Flow
from pgflow.define.limits import StepLimits
from pgflow.define.shape import FlowShape, StepShape, sorted_slugs
from pgflow.define.slugs import is_valid_slug
from pgflow.errors import DefinitionError
from pgflow.jsonb import JsonObject, jsonb_text
from pgflow.vocabulary import FLOW_DEFAULTS

__all__ = [
    "ExistingMigration",
    "compile_flow",
    "compile_shape",
    "existing_migrations",
    "flow_limits",
    "migration_filename",
    "registrable_shape",
]

_INDENT = "    "

_HASH_COMMENT: Final = "-- shape hash: "
"""The header line that records the shape hash (written and read back here)."""

_HASH_LINE: Final = re.compile(rf"^{re.escape(_HASH_COMMENT)}([0-9a-f]{{64}})$", re.M)


def registrable_shape(flow: Flow[Any] | FlowShape) -> FlowShape:
    """The shape :func:`compile_flow` and ``deploy_flow`` register: one with steps.

    Raises :class:`DefinitionError` for a flow without steps (the database
    would refuse it with ``PF016``), before anything is compiled or sent.
    """
    shape = flow if isinstance(flow, FlowShape) else flow.shape()
    if not shape.steps:
        raise DefinitionError(
            f"flow {shape.flow_slug!r} has no steps; add at least one step before compiling it"
        )
    return shape


def compile_flow(flow: Flow[Any]) -> str:
    """Return the SQL that registers ``flow`` (see the module docstring)."""
    return compile_shape(registrable_shape(flow), limits=flow_limits(flow))


def flow_limits(flow: Flow[Any] | FlowShape) -> dict[str, StepLimits]:
    """The flow control ``flow`` declares, by step slug (a shape declares none)."""
    if isinstance(flow, FlowShape):
        return {}
    return {step.slug: step.limits for step in flow.steps if step.limits is not None}


def compile_shape(shape: FlowShape, limits: Mapping[str, StepLimits] | None = None) -> str:
    """Return the SQL that registers ``shape``.

    Unlike :func:`compile_flow` this does not require the shape to come from a
    validated :class:`Flow`: any string is quoted safely, and the database
    rejects what is invalid.  ``limits`` (flow control by step slug) are not
    shape: when given, they go to each ``add_step``, and applying the file to
    an existing flow of this shape sets every step's limits to these (a step
    left out has none); without them, live limits are left as they are.
    """
    limits = dict(limits or {})
    digest = shape.hash()  # the slowest part for big flows: compute it once
    verify = _call("verify_flow", _verify_arguments(shape, digest))
    add_steps = [
        _call("add_step", _step_arguments(shape.flow_slug, step, limits.get(step.step_slug)))
        for step in shape.steps
    ]
    body = "\n\n".join(
        [
            _existing_flow_check(shape, verify, add_steps if limits else []),
            _call("create_flow", _flow_arguments(shape)),
            *add_steps,
            verify,
        ]
    )
    tag = _dollar_tag(body)
    return "\n".join(
        [
            *_header(shape, digest),
            f"do {tag}",
            "begin",
            body,
            "end",
            f"{tag};",
            "",
        ]
    )


def migration_filename(flow_slug: str, when: datetime | None = None) -> str:
    """``YYYYMMDDHHMMSS_pgflow_<slug>.sql`` in UTC, the name ``pgflow compile`` writes."""
    moment = (when or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%d%H%M%S}_pgflow_{flow_slug}.sql"


@dataclass(frozen=True, slots=True)
class ExistingMigration:
    """A migration file of a flow, found in a migrations folder."""

    path: Path
    shape_hash: str | None
    """The hash its header records; None when the header has none (edited by hand)."""


def existing_migrations(directory: Path, flow_slug: str) -> list[ExistingMigration]:
    """The files of ``directory`` named like :func:`migration_filename` for ``flow_slug``."""
    pattern = re.compile(rf"^\d{{14}}_pgflow_{re.escape(flow_slug)}\.sql$")
    found = []
    for path in sorted(directory.iterdir()):
        if pattern.match(path.name):
            match = _HASH_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
            found.append(ExistingMigration(path, match.group(1) if match else None))
    return found


def _header(shape: FlowShape, digest: str) -> list[str]:
    slug = _comment_text(shape.flow_slug)
    return [
        "-- Generated by pgflow: do not edit.",
        f"-- flow:       {slug}",
        f"{_HASH_COMMENT}{digest}",
        f"-- steps:      {len(shape.steps)}",
        "--",
        "-- Flows are immutable. Applying this file again is a no-op; applying it where",
        "-- the flow exists with a different shape fails and changes nothing.",
        "-- For a new shape, create a new flow slug (for example a _v2 suffix).",
    ]


def _comment_text(value: str) -> str:
    # A valid slug is safe in a comment; anything else is shown JSON-escaped,
    # so a newline in a hostile slug cannot end the comment.
    return value if is_valid_slug(value) else jsonb_text(value).encode("ascii", "replace").decode()


def _literal(value: object) -> str:
    # psycopg prefixes E'...' literals with a space; the call layout already
    # separates tokens, so drop it for readability.
    return sql.Literal(value).as_string().lstrip()


def _text_array(values: Iterable[str]) -> str:
    return "array[" + ", ".join(_literal(value) for value in values) + "]::text[]"


def _jsonb(value: JsonObject) -> str:
    return _literal(jsonb_text(value)) + "::jsonb"


def _flow_arguments(shape: FlowShape) -> list[tuple[str, str]]:
    arguments = [
        ("flow_slug", _literal(shape.flow_slug)),
        ("max_attempts", _literal(shape.max_attempts)),
        ("base_delay", _literal(shape.base_delay)),
        ("timeout", _literal(shape.timeout)),
    ]
    if shape.secret_input:  # only when set, like the shape
        arguments.append(("secret_input", _text_array(shape.secret_input)))
    if shape.max_output_bytes is not None:
        arguments.append(("max_output_bytes", _literal(shape.max_output_bytes)))
    return arguments


def _step_arguments(
    flow_slug: str, step: StepShape, limits: StepLimits | None = None
) -> list[tuple[str, str]]:
    arguments = [
        ("flow_slug", _literal(flow_slug)),
        ("step_slug", _literal(step.step_slug)),
        ("deps", _text_array(sorted_slugs(step.deps))),
    ]
    for name in FLOW_DEFAULTS:  # options a step inherits from the flow when left out
        value = getattr(step, name)
        if value is not None:
            arguments.append((name, _literal(value)))
    arguments += [
        ("delay_seconds", _literal(step.delay_seconds)),
        ("step_type", _literal(step.step_type)),
    ]
    if step.run_if is not None:
        arguments.append(("run_if", _jsonb(step.run_if)))
    if step.run_unless is not None:
        arguments.append(("run_unless", _jsonb(step.run_unless)))
    arguments += [
        ("when_unmet", _literal(step.when_unmet)),
        ("when_exhausted", _literal(step.when_exhausted)),
    ]
    if step.execution_timeout is not None:  # only when set, like the shape
        arguments.append(("execution_timeout", _literal(step.execution_timeout)))
    if limits is not None:  # flow control: operations, not shape
        if limits.concurrency is not None:
            arguments.append(("concurrency", _literal(limits.concurrency)))
        if limits.concurrency_key is not None:
            arguments.append(("concurrency_key", _text_array(limits.concurrency_key)))
        if limits.rate_limit is not None:
            arguments.append(("rate_limit", _literal(limits.rate_limit)))
        if limits.rate_period is not None:
            arguments.append(("rate_period", _literal(limits.rate_period)))
    if step.secret_output:
        arguments.append(("secret_output", _text_array(step.secret_output)))
    if step.max_output_bytes is not None:
        arguments.append(("max_output_bytes", _literal(step.max_output_bytes)))
    return arguments


def _verify_arguments(shape: FlowShape, digest: str) -> list[tuple[str, str]]:
    return [
        ("flow_slug", _literal(shape.flow_slug)),
        ("shape_hash", _literal(digest)),
        ("step_slugs", _text_array(step.step_slug for step in shape.steps)),
        # the whole shape, so a mismatch names each differing step and option
        ("shape", _literal(shape.text()) + "::jsonb"),
    ]


def _existing_flow_check(shape: FlowShape, verify: str, add_steps: Sequence[str] = ()) -> str:
    """An existing flow must already have exactly this shape; then there is nothing to do.

    Without this, applying the file over a flow with fewer steps would add the
    missing ones (``add_step`` accepts new steps while a flow has no runs) and
    the final ``verify_flow`` would pass: flows would not be immutable.
    """
    # split on "\n" only: splitlines() would also split inside a literal holding
    # U+2028 or U+0085 (left unescaped in JSON text) and change its value
    nested = "\n".join(_INDENT + line for line in verify.split("\n"))
    # flow control is not shape: re-adding the (identical) steps applies the
    # limits the code declares to the live flow
    relimit = ["\n".join(_INDENT + line for line in add_step.split("\n")) for add_step in add_steps]
    return "\n".join(
        [
            f"{_INDENT}-- Flows are immutable: an existing flow must have exactly this shape.",
            f"{_INDENT}if pgflow.flow_shape_hash(flow_slug => {_literal(shape.flow_slug)}) "
            "is not null then",
            nested,
            *(
                [f"{_INDENT * 2}-- flow control is not shape: apply the declared limits"]
                if relimit
                else []
            ),
            *relimit,
            f"{_INDENT * 2}return;",
            f"{_INDENT}end if;",
        ]
    )


def _call(function: str, arguments: list[tuple[str, str]]) -> str:
    lines = [f"{_INDENT}perform pgflow.{function}("]
    for position, (name, value) in enumerate(arguments):
        comma = "," if position < len(arguments) - 1 else ""
        lines.append(f"{_INDENT * 2}{name} => {value}{comma}")
    lines.append(f"{_INDENT});")
    return "\n".join(lines)


def _dollar_tag(body: str) -> str:
    """The first of ``$pgflow$``, ``$pgflow_1$``, ... that does not occur in ``body``."""
    tag, counter = "$pgflow$", 0
    while tag in body:
        counter += 1
        tag = f"$pgflow_{counter}$"
    return tag
