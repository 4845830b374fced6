"""Exception hierarchy shared by every part of the package.

The database is the authority on flows and runs: it raises errors with stable
SQLSTATE codes ``PF001``..``PF021`` and ``PF030``..``PF032`` (see
``docs/sql-reference.md``).  Callers
should not have to inspect SQLSTATEs themselves, so :func:`translate` turns a
``psycopg.Error`` into one class per kind of error.  Errors raised by Python
before anything reaches the database (a bad step slug in the DSL, a bad
``FLOW_REF``) have their own classes under :class:`PgflowError` too, so a
caller can catch everything pgflow raises with one ``except``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

import psycopg

__all__ = [
    "SQLSTATE_CLASSES",
    "AttemptNotClaimedError",
    "ClaimIsolationError",
    "CycleError",
    "DatabaseError",
    "DatabaseUnavailableError",
    "DefinitionError",
    "DuplicateDependencyError",
    "EmptyFlowError",
    "FlowImmutableError",
    "FlowNotFoundError",
    "FlowRefError",
    "FlowRetiredError",
    "InvalidInputError",
    "InvalidLimitError",
    "InvalidOptionError",
    "InvalidSlugError",
    "MapDependencyError",
    "NotAllowedError",
    "NotInstalledError",
    "OutputLimitError",
    "PgflowError",
    "PlainSecretError",
    "RunIdConflictError",
    "RunNotFoundError",
    "RunNotRetryableError",
    "SecretConditionError",
    "SelfDependencyError",
    "ShapeMismatchError",
    "StepNotFoundError",
    "UnknownDependencyError",
    "translate",
]


class PgflowError(Exception):
    """Base class of every error pgflow raises on purpose."""


class DefinitionError(PgflowError, ValueError):
    """A flow definition is invalid; raised by the DSL as the step is added.

    The message names the flow and the step, so a stack trace is not needed to
    find the mistake.
    """


class FlowRefError(PgflowError):
    """A ``FLOW_REF`` (``path/to/file.py:Name`` or ``module:Name``) cannot be loaded."""


class DatabaseUnavailableError(PgflowError):
    """The database URL is missing, malformed, or the server cannot be reached."""


class DatabaseError(PgflowError):
    """The database refused an operation.

    ``sqlstate`` is the server's code (``PF0xx`` for pgflow's own errors), and
    ``detail``/``hint`` carry the server's extra fields when it sent them.
    """

    sqlstate: str | None
    detail: str | None
    hint: str | None

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    @property
    def message(self) -> str:
        """The primary message, without detail or hint."""
        return str(self.args[0]) if self.args else ""


class NotInstalledError(DatabaseError):
    """pgflow is not installed in the database the call went to.

    Raised (by :func:`translate`) for a call that found no schema ``pgflow``,
    or none of the pgflow table or function it names (SQLSTATE ``3F000``,
    ``42P01`` or ``42883``): the extension or the plain script was never
    installed there, or an older version lacks it.  ``detail`` keeps the
    server's message.
    """

    MESSAGE: Final = "pgflow is not installed in this database: run `pgflow install`"

    def __init__(self, *, sqlstate: str | None = None, detail: str | None = None) -> None:
        super().__init__(self.MESSAGE, sqlstate=sqlstate, detail=detail)


class InvalidSlugError(DatabaseError):
    """PF001: a flow or step slug is malformed or reserved."""


class FlowNotFoundError(DatabaseError):
    """PF002: no flow has this slug."""


class UnknownDependencyError(DatabaseError):
    """PF003: a step depends on a step the flow does not have."""


class StepNotFoundError(DatabaseError):
    """PF004: the named step or task does not exist."""


class DuplicateDependencyError(DatabaseError):
    """PF005: a step lists the same dependency twice."""


class SelfDependencyError(DatabaseError):
    """PF006: a step depends on itself."""


class CycleError(DatabaseError):
    """PF007: adding the step would close a cycle."""


class ShapeMismatchError(DatabaseError):
    """PF008: a flow with this slug already exists with a different shape.

    Flows are immutable; a new shape needs a new slug.  ``differences`` lists
    what differs, one human-readable line each, when Python computed them.
    """

    differences: tuple[str, ...]

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = "PF008",
        detail: str | None = None,
        hint: str | None = None,
        differences: Sequence[str] = (),
    ) -> None:
        super().__init__(message, sqlstate=sqlstate, detail=detail, hint=hint)
        self.differences = tuple(differences)


class InvalidOptionError(DatabaseError):
    """PF009: an option has a wrong value or type."""


class RunNotFoundError(DatabaseError):
    """PF010: no run has this id."""


class InvalidInputError(DatabaseError):
    """PF011: the run input does not fit the flow (e.g. a root map step over a non-array)."""


class FlowImmutableError(DatabaseError):
    """PF012: the flow already has runs, so its definition cannot change."""


class NotAllowedError(DatabaseError):
    """PF013: a dev-only operation was attempted without opting in."""


class RunIdConflictError(DatabaseError):
    """PF014: the run id already exists for another flow."""


class MapDependencyError(DatabaseError):
    """PF015: a map step has more than one dependency."""


class EmptyFlowError(DatabaseError):
    """PF016: the flow has no steps."""


class AttemptNotClaimedError(DatabaseError):
    """PF017: a completion or failure names an attempt that was never claimed.

    Raised by ``complete_task``, ``complete_tasks`` and ``fail_task`` when the
    attempt is greater than the attempts the task has had, or the task was
    never claimed at all: a result must come from a claim.  Nothing changed.
    """


class FlowRetiredError(DatabaseError):
    """PF018: the flow is retired (``pgflow.retire_flow``): it takes no new runs.

    Its runs in flight finish, and they may still be retried;
    ``pgflow.unretire_flow`` (``pgflow retire --undo``) takes it back into service.
    """


class RunNotRetryableError(DatabaseError):
    """PF019: ``retry_run`` found nothing to retry.

    The run is still running (wait for it, or cancel it first), or it
    completed and no steps were named to run again (``from_steps``).
    """


class InvalidLimitError(InvalidOptionError):
    """PF020: a flow-control limit that cannot mean anything.

    A ``concurrency``, ``rate_limit`` or ``rate_period`` below 1, a rate limit
    without its period (or the other way round), or a ``concurrency_key``
    that is not a non-empty path of text keys; the message names the flow
    and the step.  A subclass of :class:`InvalidOptionError`.
    """


class ClaimIsolationError(DatabaseError):
    """PF021: ``claim_tasks`` of flow-controlled steps ran outside READ COMMITTED.

    The limits are counted on a fresh snapshot after the claim locks their
    buckets, which REPEATABLE READ and SERIALIZABLE transactions do not take:
    claim in a READ COMMITTED transaction of its own.
    """


class SecretConditionError(DatabaseError):
    """PF030: a ``run_if``/``run_unless`` condition reads a secret path.

    The database holds secrets only sealed, so such a condition could never
    mean what it says; test a value that is not secret.
    """


class PlainSecretError(DatabaseError):
    """PF031: a run input or task output holds a plain value at a declared secret path.

    ``start_flow`` and ``complete_task(s)`` refuse it, naming the path (never
    the value): seal secrets with a codec (see :mod:`pgflow.payload`).
    """


class OutputLimitError(DatabaseError):
    """PF032: a task output is over its step's ``max_output_bytes``.

    The message names the flow, the step, the task and the size.  The limit
    is operational (``max_output_bytes`` of ``add_step``/``create_flow``,
    default 16 MiB) and not part of the flow's shape.
    """


SQLSTATE_CLASSES: Mapping[str, type[DatabaseError]] = MappingProxyType(
    {
        "PF001": InvalidSlugError,
        "PF002": FlowNotFoundError,
        "PF003": UnknownDependencyError,
        "PF004": StepNotFoundError,
        "PF005": DuplicateDependencyError,
        "PF006": SelfDependencyError,
        "PF007": CycleError,
        "PF008": ShapeMismatchError,
        "PF009": InvalidOptionError,
        "PF010": RunNotFoundError,
        "PF011": InvalidInputError,
        "PF012": FlowImmutableError,
        "PF013": NotAllowedError,
        "PF014": RunIdConflictError,
        "PF015": MapDependencyError,
        "PF016": EmptyFlowError,
        "PF017": AttemptNotClaimedError,
        "PF018": FlowRetiredError,
        "PF019": RunNotRetryableError,
        "PF020": InvalidLimitError,
        "PF021": ClaimIsolationError,
        "PF030": SecretConditionError,
        "PF031": PlainSecretError,
        "PF032": OutputLimitError,
    }
)
"""SQLSTATE → exception class for pgflow's own error codes."""


_MISSING_OBJECT: Final = frozenset({"3F000", "42P01", "42883"})
"""invalid_schema_name, undefined_table, undefined_function."""

_NAMES_PGFLOW: Final = re.compile(r'\bpgflow\.|"pgflow"')
"""``schema "pgflow"``, ``relation "pgflow.runs"``, ``function pgflow.claim_tasks(...)``."""


def translate(error: psycopg.Error) -> PgflowError:
    """Turn a psycopg error into the matching pgflow exception.

    The result is meant to be raised ``from error`` so the original stays
    reachable as ``__cause__``.  Connection failures (no SQLSTATE, or class
    ``08``) become :class:`DatabaseUnavailableError`; a missing pgflow
    schema, table or function becomes :class:`NotInstalledError`; pgflow's
    codes map through :data:`SQLSTATE_CLASSES`; anything else is a plain
    :class:`DatabaseError` that keeps the server's SQLSTATE.
    """
    sqlstate = error.sqlstate
    diag = error.diag
    message = diag.message_primary or str(error).strip() or type(error).__name__
    if sqlstate is None and isinstance(error, psycopg.OperationalError):
        return DatabaseUnavailableError(str(error).strip() or message)
    if sqlstate is not None and sqlstate.startswith("08"):
        return DatabaseUnavailableError(message)
    if sqlstate in _MISSING_OBJECT and _NAMES_PGFLOW.search(message):
        return NotInstalledError(sqlstate=sqlstate, detail=message)
    cls = SQLSTATE_CLASSES.get(sqlstate or "", DatabaseError)
    return cls(message, sqlstate=sqlstate, detail=diag.message_detail, hint=diag.message_hint)
