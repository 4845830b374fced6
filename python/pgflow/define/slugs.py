"""Slug rules, checked in Python so mistakes surface where the flow is written.

The database checks the same rules again (``PF001``); the rule itself (pattern,
length, reserved names) comes from :mod:`pgflow.vocabulary`, the mirror of
``pgflow.vocabulary()``.  Checking it here only gives the error at definition
time, with the file and line of the mistake.
"""

from __future__ import annotations

from pgflow.errors import DefinitionError
from pgflow.vocabulary import RESERVED_STEP_SLUGS, SLUG_MAX_LENGTH, SLUG_PATTERN

__all__ = ["is_valid_slug", "validate_flow_slug", "validate_step_slug"]


def is_valid_slug(slug: object) -> bool:
    """True when ``slug`` is a string that satisfies the slug rule (reserved names aside)."""
    return (
        isinstance(slug, str)
        and len(slug) <= SLUG_MAX_LENGTH
        and SLUG_PATTERN.fullmatch(slug) is not None
    )


def _problem(slug: object) -> str | None:
    if not isinstance(slug, str):
        return f"must be a string, not {type(slug).__name__}"
    if not slug:
        return "must not be empty"
    if len(slug) > SLUG_MAX_LENGTH:
        return f"is {len(slug)} characters long; the limit is {SLUG_MAX_LENGTH}"
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
