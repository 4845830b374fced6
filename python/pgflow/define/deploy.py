"""Compare a flow in code with the database, and deploy it.

Production deploys are strict: a flow that is absent is created, one with the
same shape is left alone, and one with a different shape is an error that
lists the differences (flows are immutable; a new shape needs a new slug).
Development deploys may pass ``force=True`` to drop a changed flow, its steps
and all of its runs, and register the new shape, in one transaction.

The registration itself is the compiled SQL (:mod:`pgflow.define.compiler`), the
same text a production migration contains, so ``deploy`` and a migration
cannot disagree.  The comparison before it is only there to explain a
mismatch; the database checks again while registering.  A deploy builds the
flow's shape (and its hash) once and uses it for all of this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import psycopg

from pgflow import queries
from pgflow.define.compiler import compile_shape, flow_limits, registrable_shape
from pgflow.define.dsl import Flow
from pgflow.define.shape import FlowShape, diff_shapes
from pgflow.errors import ShapeMismatchError, translate

__all__ = [
    "DeployResult",
    "FlowComparison",
    "compare_flow",
    "database_shape",
    "deploy_flow",
]


@dataclass(frozen=True, slots=True)
class DatabaseShape:
    """A flow's shape as read from the database, with the database's own hash."""

    shape: FlowShape
    shape_hash: str
    text: str
    """``flow_shape(slug)::text`` exactly as the server printed it."""


def database_shape(conn: psycopg.Connection[Any], flow_slug: str) -> DatabaseShape | None:
    """The shape of ``flow_slug`` in the database, or None if there is no such flow."""
    try:
        row = conn.execute(queries.READ_FLOW_SHAPE, {"flow_slug": flow_slug}).fetchone()
    except psycopg.Error as error:
        raise translate(error) from error
    if row is None or row[0] is None:
        return None
    text, shape_hash = row
    # Decimal keeps numbers in conditions exactly as the server printed them.
    document = json.loads(text, parse_float=Decimal)
    return DatabaseShape(shape=FlowShape.from_document(document), shape_hash=shape_hash, text=text)


@dataclass(frozen=True, slots=True)
class FlowComparison:
    """Code versus database for one flow."""

    flow_slug: str
    code_hash: str
    database_hash: str | None
    """None when the flow is not in the database."""
    differences: tuple[str, ...]
    """What differs, one line each (empty unless ``state == "different"``)."""

    @property
    def state(self) -> Literal["absent", "identical", "different"]:
        if self.database_hash is None:
            return "absent"
        return "identical" if self.database_hash == self.code_hash else "different"


def compare_flow(conn: psycopg.Connection[Any], flow: Flow[Any] | FlowShape) -> FlowComparison:
    """Compare ``flow`` with what the database holds under its slug."""
    shape = flow if isinstance(flow, FlowShape) else flow.shape()
    code_hash = shape.hash()
    stored = database_shape(conn, shape.flow_slug)
    if stored is None:
        return FlowComparison(shape.flow_slug, code_hash, None, ())
    differences: tuple[str, ...] = ()
    if stored.shape_hash != code_hash:
        differences = tuple(diff_shapes(shape, stored.shape))
        if not differences:
            # Same fields, different hash: the two serialisations disagree.
            differences = (
                f"shape hash: code {code_hash}, database {stored.shape_hash} "
                "(no field differs: the Python and SQL canonical forms disagree, a pgflow bug)",
            )
    return FlowComparison(shape.flow_slug, code_hash, stored.shape_hash, differences)


@dataclass(frozen=True, slots=True)
class DeployResult:
    flow_slug: str
    action: Literal["created", "unchanged", "recreated"]
    shape_hash: str
    dropped_runs: int = 0
    """Runs deleted by a forced redeploy."""
    differences: tuple[str, ...] = ()
    """For ``recreated``: how the old shape differed."""


def _mismatch(comparison: FlowComparison) -> ShapeMismatchError:
    return ShapeMismatchError(
        f"flow {comparison.flow_slug!r} already exists in the database with a different shape",
        detail="\n".join(comparison.differences) or None,
        hint="flows are immutable: register the new shape under a new flow slug "
        "(e.g. a _v2 suffix); in development, redeploy with --dev --force to drop "
        "the flow and its runs",
        differences=comparison.differences,
    )


def _apply(conn: psycopg.Connection[Any], compiled: str) -> None:
    # The compiled text is one DO statement plus comments: no parameters, so
    # psycopg sends it as is.
    conn.execute(compiled.encode("utf-8"))


def deploy_flow(
    conn: psycopg.Connection[Any], flow: Flow[Any] | FlowShape, *, force: bool = False
) -> DeployResult:
    """Register ``flow`` (or a shape) in the database (see the module docstring).

    Raises :class:`~pgflow.errors.DefinitionError` for a flow without steps,
    before anything is sent, and :class:`~pgflow.errors.ShapeMismatchError`
    (with ``differences``) when the database has another shape under this
    slug and ``force`` is false.  With ``force`` (development only) the old
    flow and all of its runs are dropped first, in the same transaction as the
    new registration.
    """
    shape = registrable_shape(flow)
    slug = shape.flow_slug
    limits = flow_limits(flow)
    comparison = compare_flow(conn, shape)
    try:
        if comparison.state == "identical":
            if limits:  # flow control is not shape: the declared limits apply
                with conn.transaction():
                    _apply(conn, compile_shape(shape, limits))
            return DeployResult(slug, "unchanged", comparison.code_hash)
        compiled = compile_shape(shape, limits)
        if comparison.state == "absent":
            with conn.transaction():
                _apply(conn, compiled)
            return DeployResult(slug, "created", comparison.code_hash)
        if not force:
            raise _mismatch(comparison)
        with conn.transaction():
            conn.execute(queries.ALLOW_DROP_FLOW)
            row = conn.execute(queries.DROP_FLOW, {"flow_slug": slug}).fetchone()
            dropped = int(row[0]) if row is not None and row[0] is not None else 0
            _apply(conn, compiled)
        return DeployResult(
            slug,
            "recreated",
            comparison.code_hash,
            dropped_runs=dropped,
            differences=comparison.differences,
        )
    except psycopg.Error as error:
        translated = translate(error)
        if isinstance(translated, ShapeMismatchError):
            # Changed concurrently between the comparison and the registration.
            again = compare_flow(conn, shape)
            if again.differences:
                raise _mismatch(again) from error
        raise translated from error
