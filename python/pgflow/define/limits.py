"""Flow control of a step: concurrency, per-key concurrency and rate limits.

Limits are operations, not shape: they never enter :class:`~pgflow.define.shape.StepShape`
or the shape hash, and an operator changes them on a live flow
(``pgflow limits``, ``pgflow.set_step_limits``) without a new flow slug.
The compiler passes them to ``add_step``; deploying a flow whose code
declares limits sets every step's limits to what the code says.

A ``concurrency_key`` is a path into the task input: ``("run", "tenant_id")``
or the dotted ``"run.tenant_id"`` for a single step's ``{"run": ..., "<dep>": ...}``,
a path into the element for a map step.  Tasks whose input lacks the key (or
holds null there) share one bucket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pgflow.errors import DefinitionError
from pgflow.jsonb import JsonValue

__all__ = ["StepLimits", "parse_concurrency_key", "step_limits"]

INT4_MAX = 2_147_483_647


@dataclass(frozen=True, slots=True)
class StepLimits:
    """The flow control of one step (every field None: no limit)."""

    concurrency: int | None = None
    """At most this many tasks of the step started at once (per key value with a key)."""
    concurrency_key: tuple[str, ...] | None = None
    """A path into the task input; the limits apply per distinct value."""
    rate_limit: int | None = None
    """At most this many task starts in any window of ``rate_period`` seconds."""
    rate_period: int | None = None

    @property
    def is_limited(self) -> bool:
        return self.concurrency is not None or self.rate_limit is not None

    def as_json(self) -> dict[str, JsonValue]:
        return {
            "concurrency": self.concurrency,
            "concurrency_key": list(self.concurrency_key) if self.concurrency_key else None,
            "rate_limit": self.rate_limit,
            "rate_period": self.rate_period,
        }


def _positive(where: str, name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(f"{where}: {name} must be an integer, not {value!r}")
    if not 1 <= value <= INT4_MAX:
        raise DefinitionError(f"{where}: {name} must be between 1 and {INT4_MAX}, not {value}")
    return value


def parse_concurrency_key(where: str, key: object) -> tuple[str, ...] | None:
    """A key path from ``"run.tenant_id"`` or ``("run", "tenant_id")``; None for None."""
    if key is None:
        return None
    if isinstance(key, str):
        parts: Sequence[object] = key.split(".")
    elif isinstance(key, Sequence) and not isinstance(key, (bytes, bytearray)):
        parts = key
    else:
        raise DefinitionError(
            f"{where}: concurrency_key must be a path of keys into the task input, like "
            f"('run', 'tenant_id') or 'run.tenant_id', not {key!r}"
        )
    if not parts or any(not isinstance(part, str) or not part for part in parts):
        raise DefinitionError(
            f"{where}: concurrency_key must be a non-empty path of non-empty string keys, "
            f"like ('run', 'tenant_id'), not {key!r}"
        )
    return tuple(str(part) for part in parts)


def step_limits(
    where: str,
    *,
    concurrency: object = None,
    concurrency_key: object = None,
    rate_limit: object = None,
    rate_period: object = None,
) -> StepLimits | None:
    """Validated limits (the same rules as ``pgflow.check_step_limits``); None when unlimited."""
    limits = StepLimits(
        concurrency=_positive(where, "concurrency", concurrency),
        concurrency_key=parse_concurrency_key(where, concurrency_key),
        rate_limit=_positive(where, "rate_limit", rate_limit),
        rate_period=_positive(where, "rate_period", rate_period),
    )
    if (limits.rate_limit is None) != (limits.rate_period is None):
        raise DefinitionError(
            f"{where}: rate_limit and rate_period go together (at most rate_limit task "
            f"starts per rate_period seconds), got rate_limit={rate_limit!r} and "
            f"rate_period={rate_period!r}"
        )
    if limits.concurrency_key is not None and not limits.is_limited:
        raise DefinitionError(
            f"{where}: concurrency_key needs a concurrency or a rate_limit to apply per key"
        )
    return limits if limits.is_limited else None


def limits_of(steps: Mapping[str, StepLimits | None]) -> dict[str, StepLimits]:
    """The limited steps of a mapping, for the compiler."""
    return {slug: limits for slug, limits in steps.items() if limits is not None}
