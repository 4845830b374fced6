"""Slug rules, checked in Python so mistakes surface where the flow is written.

The database checks the same rules again (``PF001``); this copy exists only to
give the error at definition time, with the file and line of the mistake.
"""

from __future__ import annotations

import re
from typing import Final

from pgflow.errors import DefinitionError

__all__ = [
    "MAX_SLUG_LENGTH",
    "RESERVED_STEP_SLUGS",
    "SLUG_PATTERN",
    "is_valid_slug",
    "validate_flow_slug",
    "validate_step_slug",
]

SLUG_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""Identifier-like: ASCII letters, digits and underscores, not starting with a digit."""

MAX_SLUG_LENGTH: Final = 128

RESERVED_STEP_SLUGS: Final = frozenset({"run"})
"""``run`` is the key of the run input in every task input object."""


def is_valid_slug(slug: object) -> bool:
    """True when ``slug`` is a string that satisfies the slug rule (reserved names aside)."""
    return (
        isinstance(slug, str)
        and len(slug) <= MAX_SLUG_LENGTH
        and SLUG_PATTERN.fullmatch(slug) is not None
    )


def _problem(slug: object) -> str | None:
    if not isinstance(slug, str):
        return f"must be a string, not {type(slug).__name__}"
    if not slug:
        return "must not be empty"
    if len(slug) > MAX_SLUG_LENGTH:
        return f"is {len(slug)} characters long; the limit is {MAX_SLUG_LENGTH}"
    if SLUG_PATTERN.fullmatch(slug) is None:
        return (
            "must start with a letter or underscore and contain only "
            "ASCII letters, digits and underscores"
        )
    return None


def validate_flow_slug(slug: object) -> str:
    """Return ``slug`` if it is a valid flow slug, else raise :class:`DefinitionError`."""
    problem = _problem(slug)
    if problem is not None:
        raise DefinitionError(f"invalid flow slug {slug!r}: it {problem}")
    assert isinstance(slug, str)
    return slug


def validate_step_slug(flow_slug: str, slug: object) -> str:
    """Return ``slug`` if it is a valid step slug, else raise :class:`DefinitionError`."""
    problem = _problem(slug)
    if problem is not None:
        raise DefinitionError(f"flow {flow_slug!r}: invalid step slug {slug!r}: it {problem}")
    assert isinstance(slug, str)
    if slug in RESERVED_STEP_SLUGS:
        raise DefinitionError(
            f"flow {flow_slug!r}: step slug {slug!r} is reserved "
            f"(the task input uses {slug!r} for the run input)"
        )
    return slug
