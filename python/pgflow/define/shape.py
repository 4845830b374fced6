"""The canonical shape of a flow, its hash, and the difference between two shapes.

A flow's *shape* is everything the database stores about its definition:
flow options and, per step, type, dependencies, declared options, conditions
and policies.  Handlers are not part of it.  Two definitions with the same
shape are the same flow; anything else needs a new slug.

The document matches ``pgflow.flow_shape(slug)`` (steps sorted by slug, deps
sorted), and :func:`shape_hash` matches ``pgflow.flow_shape_hash(slug)``, so
the CLI can compare code and database without fetching more than a hash.
Step options are kept as declared: ``None`` means "inherit the flow's value",
and resolving it here would make the hash change when flow defaults change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, cast

from pgflow.jsonb import JsonObject, jsonb_text
from pgflow.vocabulary import (
    DEFAULT_BASE_DELAY,
    DEFAULT_DELAY_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_STEP_TYPE,
    DEFAULT_TIMEOUT,
    DEFAULT_WHEN_EXHAUSTED,
    DEFAULT_WHEN_UNMET,
    FLOW_DEFAULTS,
    Policy,
    StepType,
)

__all__ = [
    "FlowShape",
    "HasShape",
    "StepShape",
    "diff_shapes",
    "flow_shape",
    "secret_paths",
    "shape_hash",
]


@dataclass(frozen=True, slots=True)
class StepShape:
    """One step as the database stores it; field names are ``add_step``'s parameters."""

    step_slug: str
    step_type: StepType = DEFAULT_STEP_TYPE
    deps: tuple[str, ...] = ()
    max_attempts: int | None = None
    base_delay: int | None = None
    timeout: int | None = None
    delay_seconds: int = DEFAULT_DELAY_SECONDS
    run_if: JsonObject | None = None
    run_unless: JsonObject | None = None
    when_unmet: Policy = DEFAULT_WHEN_UNMET
    when_exhausted: Policy = DEFAULT_WHEN_EXHAUSTED
    execution_timeout: int | None = None
    """Seconds one attempt may run in all (None: no limit)."""
    secret_output: tuple[str, ...] = ()
    """Paths into the output held sealed (``"$"``: the whole output), sorted bytewise."""
    max_output_bytes: int | None = field(default=None, compare=False)
    """Operational, not shape: the largest task output (None: the flow's)."""

    def document(self) -> JsonObject:
        """The step's entry in the canonical shape document (deps sorted).

        ``execution_timeout`` appears only when set, as in ``pgflow.flow_shape``,
        so the hash of a step without it is the one it had before the option existed.
        """
        document: JsonObject = {
            "step_slug": self.step_slug,
            "step_type": self.step_type,
            "deps": list(sorted_slugs(self.deps)),
            "max_attempts": self.max_attempts,
            "base_delay": self.base_delay,
            "timeout": self.timeout,
            "delay_seconds": self.delay_seconds,
            "run_if": self.run_if,
            "run_unless": self.run_unless,
            "when_unmet": self.when_unmet,
            "when_exhausted": self.when_exhausted,
        }
        if self.execution_timeout is not None:
            document["execution_timeout"] = self.execution_timeout
        if self.secret_output:  # only when declared, like the execution timeout
            document["secret_output"] = list(self.secret_output)
        return document


@dataclass(frozen=True, slots=True)
class FlowShape:
    """A whole flow; ``steps`` keep definition order (a topological order).

    Its text and hash are computed once, on first use: a deploy compares,
    compiles and verifies with the same digest.
    """

    flow_slug: str
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay: int = DEFAULT_BASE_DELAY
    timeout: int = DEFAULT_TIMEOUT
    steps: tuple[StepShape, ...] = ()
    secret_input: tuple[str, ...] = ()
    """Paths into the run input held sealed, sorted bytewise; in the shape only when declared."""
    max_output_bytes: int | None = field(default=None, compare=False)
    """Operational, not shape: the largest task output of its steps (None: 16 MiB)."""
    _hash: str | None = field(default=None, init=False, repr=False, compare=False)
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    def document(self) -> JsonObject:
        """The canonical document, equal to ``pgflow.flow_shape(slug)``."""
        ordered = sorted(self.steps, key=lambda step: step.step_slug.encode("utf-8"))
        document: JsonObject = {
            "flow_slug": self.flow_slug,
            "max_attempts": self.max_attempts,
            "base_delay": self.base_delay,
            "timeout": self.timeout,
            "steps": [step.document() for step in ordered],
        }
        if self.secret_input:  # only when declared: flows without secrets hash as before
            document["secret_input"] = list(self.secret_input)
        return document

    def text(self) -> str:
        """The document as PostgreSQL prints it (``flow_shape(slug)::text``), computed once."""
        if self._text is None:
            text = jsonb_text(self.document())
            object.__setattr__(self, "_text", text)  # frozen: a cache, not state
            return text
        return self._text

    def hash(self) -> str:
        """sha256 hex of :meth:`text`, equal to ``pgflow.flow_shape_hash(slug)``."""
        if self._hash is None:
            digest = hashlib.sha256(self.text().encode("utf-8")).hexdigest()
            object.__setattr__(self, "_hash", digest)  # frozen: a cache, not state
            return digest
        return self._hash

    def step(self, slug: str) -> StepShape | None:
        """The step named ``slug``, or None."""
        for step in self.steps:
            if step.step_slug == slug:
                return step
        return None

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> FlowShape:
        """Rebuild a shape from a ``flow_shape()`` document (as read from the database).

        Steps come back in the document's order (sorted by slug), since the
        document does not record definition order.
        """
        steps = tuple(
            StepShape(
                step_slug=str(step["step_slug"]),
                step_type=cast(StepType, step["step_type"]),
                deps=tuple(str(dep) for dep in step["deps"]),
                max_attempts=_optional_int(step.get("max_attempts")),
                base_delay=_optional_int(step.get("base_delay")),
                timeout=_optional_int(step.get("timeout")),
                delay_seconds=int(step.get("delay_seconds") or DEFAULT_DELAY_SECONDS),
                run_if=cast("JsonObject | None", step.get("run_if")),
                run_unless=cast("JsonObject | None", step.get("run_unless")),
                when_unmet=cast(Policy, step.get("when_unmet", DEFAULT_WHEN_UNMET)),
                when_exhausted=cast(Policy, step.get("when_exhausted", DEFAULT_WHEN_EXHAUSTED)),
                execution_timeout=_optional_int(step.get("execution_timeout")),
                secret_output=tuple(str(path) for path in step.get("secret_output") or ()),
            )
            for step in document.get("steps", [])
        )
        return cls(
            flow_slug=str(document["flow_slug"]),
            max_attempts=int(document["max_attempts"]),
            base_delay=int(document["base_delay"]),
            timeout=int(document["timeout"]),
            steps=steps,
            secret_input=tuple(str(path) for path in document.get("secret_input") or ()),
        )


def secret_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """Secret paths as the database stores them: distinct, sorted bytewise."""
    return tuple(sorted(set(paths), key=lambda path: path.encode("utf-8")))


def _optional_int(value: object) -> int | None:
    return None if value is None else int(cast(int, value))


def sorted_slugs(slugs: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Slugs in the database's order (bytewise, like ``collate "C"``)."""
    return tuple(sorted(slugs, key=lambda slug: slug.encode("utf-8")))


class HasShape(Protocol):
    """Anything with a shape: a :class:`~pgflow.define.dsl.Flow`, mainly.

    This module knows flows only through this protocol, so the DSL can build
    shapes without the two importing each other.
    """

    def shape(self) -> FlowShape: ...


def flow_shape(flow: HasShape) -> FlowShape:
    """The shape of a DSL flow."""
    return flow.shape()


def shape_hash(flow: HasShape | FlowShape) -> str:
    """The shape hash of a flow, equal to ``pgflow.flow_shape_hash(slug)`` once deployed."""
    shape = flow if isinstance(flow, FlowShape) else flow.shape()
    return shape.hash()


_STEP_FIELDS: Final = (
    "step_type",
    "max_attempts",
    "base_delay",
    "timeout",
    "delay_seconds",
    "when_unmet",
    "when_exhausted",
)


def diff_shapes(
    expected: FlowShape,
    actual: FlowShape,
    *,
    expected_label: str = "code",
    actual_label: str = "database",
) -> list[str]:
    """Human-readable differences between two shapes, one line each; empty when equal.

    Used to explain a shape mismatch: what the code declares versus what the
    database holds.
    """
    lines: list[str] = []
    if expected.flow_slug != actual.flow_slug:
        lines.append(
            f"flow slug: {expected_label} {expected.flow_slug!r}, "
            f"{actual_label} {actual.flow_slug!r}"
        )
    for name in FLOW_DEFAULTS:
        mine, theirs = getattr(expected, name), getattr(actual, name)
        if mine != theirs:
            lines.append(f"flow option {name}: {expected_label} {mine}, {actual_label} {theirs}")
    if expected.secret_input != actual.secret_input:
        lines.append(
            f"flow option secret_input: {expected_label} {list(expected.secret_input)}, "
            f"{actual_label} {list(actual.secret_input)}"
        )
    expected_steps = {step.step_slug: step for step in expected.steps}
    actual_steps = {step.step_slug: step for step in actual.steps}
    for slug in expected_steps.keys() - actual_steps.keys():
        lines.append(f"step {slug!r}: only in {expected_label}")
    for slug in actual_steps.keys() - expected_steps.keys():
        lines.append(f"step {slug!r}: only in {actual_label}")
    for slug in sorted_slugs(list(expected_steps.keys() & actual_steps.keys())):
        mine_doc = expected_steps[slug].document()
        theirs_doc = actual_steps[slug].document()
        for name in (
            "deps",
            *_STEP_FIELDS,
            "run_if",
            "run_unless",
            "execution_timeout",
            "secret_output",
        ):
            mine_value, theirs_value = mine_doc.get(name), theirs_doc.get(name)
            if jsonb_text(mine_value) != jsonb_text(theirs_value):
                lines.append(
                    f"step {slug!r} {name}: {expected_label} {jsonb_text(mine_value)}, "
                    f"{actual_label} {jsonb_text(theirs_value)}"
                )
    head = [line for line in lines if not line.startswith("step ")]
    steps = sorted(line for line in lines if line.startswith("step "))
    return head + steps
