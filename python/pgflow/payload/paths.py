"""Secret paths: which values of a run input or step output are sealed.

A path is ``"$"`` (the whole value) or dot-separated object keys
(``"auth.api_key"``).  An array met on the way applies the rest of the path
to each element, and an array at the end of a path is sealed element by
element, so a secret list stays a list the database can count and map over.
The rules match ``pgflow.is_sealed`` and ``pgflow.condition_secret_path`` in
the extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

from pgflow.errors import DefinitionError
from pgflow.jsonb import JsonObject, JsonValue

__all__ = [
    "WHOLE",
    "check_secret_paths",
    "condition_secret_path",
    "path_keys",
    "seal_at",
]

WHOLE: Final = "$"
"""The path of the whole value."""

_MAX_PATH: Final = 256


def path_keys(path: str) -> tuple[str, ...]:
    """The object keys of ``path`` (none for ``"$"``)."""
    return () if path == WHOLE else tuple(path.split("."))


def check_secret_paths(where: str, name: str, paths: Iterable[str]) -> tuple[str, ...]:
    """Validated paths, distinct and sorted bytewise (as the database stores them)."""
    if isinstance(paths, str):
        raise DefinitionError(f"{where}: {name} must be a list of paths, not the string {paths!r}")
    checked: set[str] = set()
    for path in paths:
        if (
            not isinstance(path, str)
            or not 1 <= len(path) <= _MAX_PATH
            or (path != WHOLE and any(key in ("", WHOLE) for key in path.split(".")))
        ):
            raise DefinitionError(
                f"{where}: {name} holds {path!r}, which is not a secret path: use '$' (the "
                "whole value) or dot-separated keys such as 'auth.api_key'"
            )
        checked.add(path)
    return tuple(sorted(checked, key=lambda path: path.encode("utf-8")))


def seal_at(
    value: JsonValue, paths: Sequence[str], seal: Callable[[JsonValue], JsonValue]
) -> JsonValue:
    """``value`` with every value the ``paths`` reach replaced by ``seal(value)``.

    JSON null and absent keys stay as they are (they reveal nothing); the
    input is not modified.
    """
    for path in paths:
        value = _seal_keys(value, path_keys(path), seal)
    return value


def _seal_keys(
    value: JsonValue, keys: tuple[str, ...], seal: Callable[[JsonValue], JsonValue]
) -> JsonValue:
    if value is None or is_envelope(value):
        return value
    if isinstance(value, list):
        return [_seal_keys(element, keys, seal) for element in value]
    if not keys:
        return seal(value)
    if isinstance(value, dict) and keys[0] in value:
        copy = dict(value)
        copy[keys[0]] = _seal_keys(value[keys[0]], keys[1:], seal)
        return copy
    return value


def is_envelope(value: object) -> bool:
    """True for a codec envelope: a JSON object with the ``"$pgflow"`` key."""
    return isinstance(value, dict) and "$pgflow" in value


def condition_secret_path(pattern: JsonObject | None, secrets: Sequence[str]) -> str | None:
    """The first of ``secrets`` (paths into the step input) that ``pattern`` reads, or None.

    A pattern reads a path when one of its leaves (a value that is not a
    non-empty object) lies on it, above it, or (but for an empty object) below it.
    """
    if not pattern:
        return None
    leaves: list[tuple[tuple[str, ...], JsonValue]] = []
    _leaves(pattern, (), leaves)
    for secret in secrets:
        keys = tuple(secret.split("."))
        for leaf_keys, leaf in leaves:
            if leaf_keys[: len(keys)] == keys or (
                leaf != {} and keys[: len(leaf_keys)] == leaf_keys
            ):
                return secret
    return None


def _leaves(
    value: JsonObject, prefix: tuple[str, ...], out: list[tuple[tuple[str, ...], JsonValue]]
) -> None:
    for key, item in value.items():
        if isinstance(item, dict) and item:
            _leaves(item, (*prefix, key), out)
        else:
            out.append(((*prefix, key), item))
