"""pgflow's valid values and defaults: the Python mirror of ``pgflow.vocabulary()``.

The extension holds the one source (``extension/src/100_vocabulary.sql``): the
slug rule, the step types, the skip/fail policies and the defaults of
``create_flow`` and ``add_step``.  Python needs them as types and constants
(the DSL checks a definition where it is written, the shape hash needs the
defaults), so they are mirrored here, once; every other module imports them
from this one, and a test checks that :func:`document` equals what the
database returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

__all__ = [
    "DEFAULT_BASE_DELAY",
    "DEFAULT_DELAY_SECONDS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_STEP_TYPE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WHEN_EXHAUSTED",
    "DEFAULT_WHEN_UNMET",
    "FLOW_DEFAULTS",
    "POLICIES",
    "RESERVED_STEP_SLUGS",
    "SLUG_MAX_LENGTH",
    "SLUG_PATTERN",
    "STEP_DEFAULTS",
    "STEP_TYPES",
    "Policy",
    "StepType",
    "document",
]

# -- slugs ---------------------------------------------------------------------

SLUG_PATTERN: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Identifier-like: ASCII letters, digits and underscores, not starting with a digit."""

SLUG_MAX_LENGTH: Final = 128

RESERVED_STEP_SLUGS: Final = frozenset({"run"})
"""``run`` is the key of the run input in every task input object."""

# -- step types and policies -------------------------------------------------------

StepType: TypeAlias = Literal["single", "map"]
"""``single``: one task per run; ``map``: one task per element of an array."""

STEP_TYPES: Final[tuple[StepType, ...]] = ("single", "map")

Policy: TypeAlias = Literal["fail", "skip", "skip-cascade"]
"""What happens to a step whose condition is unmet or whose retries are exhausted."""

POLICIES: Final[tuple[Policy, ...]] = ("fail", "skip", "skip-cascade")

# -- defaults ------------------------------------------------------------------------

DEFAULT_MAX_ATTEMPTS: Final = 3
DEFAULT_BASE_DELAY: Final = 1
"""Seconds; doubled per retry."""
DEFAULT_TIMEOUT: Final = 60
"""Seconds: the task lease."""

FLOW_DEFAULTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "max_attempts": DEFAULT_MAX_ATTEMPTS,
        "base_delay": DEFAULT_BASE_DELAY,
        "timeout": DEFAULT_TIMEOUT,
    }
)
"""``create_flow``'s defaults, in the order the compiler emits them."""

DEFAULT_STEP_TYPE: Final[StepType] = "single"
DEFAULT_DELAY_SECONDS: Final = 0
DEFAULT_WHEN_UNMET: Final[Policy] = "skip"
DEFAULT_WHEN_EXHAUSTED: Final[Policy] = "fail"

STEP_DEFAULTS: Final[Mapping[str, str | int]] = MappingProxyType(
    {
        "step_type": DEFAULT_STEP_TYPE,
        "delay_seconds": DEFAULT_DELAY_SECONDS,
        "when_unmet": DEFAULT_WHEN_UNMET,
        "when_exhausted": DEFAULT_WHEN_EXHAUSTED,
    }
)
"""``add_step``'s own defaults (its retry options left null inherit the flow's)."""


MAX_OUTPUT_BYTES: Final = 16 * 1024 * 1024
"""The default bound on one task output (jsonb bytes), enforced by ``complete_task(s)``."""

SEALED_MARKER: Final = "$pgflow"
"""The key that makes a JSON object a codec envelope (see :mod:`pgflow.payload`)."""


def document() -> dict[str, object]:
    """These constants in the form ``select pgflow.vocabulary()`` returns them."""
    return {
        "slug_pattern": SLUG_PATTERN.pattern,
        "slug_max_length": SLUG_MAX_LENGTH,
        "reserved_step_slugs": sorted(RESERVED_STEP_SLUGS),
        "step_types": list(STEP_TYPES),
        "policies": list(POLICIES),
        "max_output_bytes": MAX_OUTPUT_BYTES,
        "sealed_marker": SEALED_MARKER,
        "flow_defaults": dict(FLOW_DEFAULTS),
        "step_defaults": dict(STEP_DEFAULTS),
    }
