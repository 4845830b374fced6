"""JSON values as PostgreSQL's ``jsonb`` sees them, and its exact text output.

The shape hash is the sha256 of ``flow_shape(slug)::text``, i.e. of the text
PostgreSQL prints for a ``jsonb`` value.  To compute the same hash without a
database, :func:`jsonb_text` reproduces that printer byte for byte:

* object keys ordered by (UTF-8 byte length, then bytes), as jsonb stores them;
* ``", "`` between items and ``": "`` between a key and its value;
* strings escaped like the server's ``escape_json``: ``\\"`` ``\\\\`` ``\\b``
  ``\\f`` ``\\n`` ``\\r`` ``\\t``, other characters below U+0020 as ``\\u00xx``
  (lowercase hex), everything else literal;
* numbers in ``numeric``'s plain notation (``1e3`` prints ``1000``, ``1.50``
  prints ``1.50``, there is no negative zero); ``true``/``false``/``null``.

:func:`to_json_value` checks and copies user values (conditions) up front, so a
value jsonb would reject (``NaN``, ``"\\u0000"``, a lone surrogate, a non-string
key) fails at definition time rather than in the database.

:func:`decode_json` is the decoder the SDK uses for every ``json``/``jsonb``
value it reads from the database.  Some values jsonb stores are beyond what
Python's ``json`` module decodes: nesting deeper than the interpreter's
recursion limit (about 1,000 levels; jsonb accepts far more) and integers with
more digits than ``sys.get_int_max_str_digits()`` (4,300 by default; numeric
holds 131,072).  Such a value decodes to an :class:`UndecodableJson` marker
that says why, instead of an exception that would end the reading call (and
with it a worker's claim of other tasks, or a client's ``get_run``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Final, TypeAlias

from pgflow.errors import DefinitionError

__all__ = [
    "JsonObject",
    "JsonValue",
    "UndecodableJson",
    "decode_json",
    "jsonb_text",
    "to_json_value",
]

JsonValue: TypeAlias = (
    "str | int | float | Decimal | bool | list[JsonValue] | dict[str, JsonValue] | None"
)
"""A JSON value as pgflow stores it: lists and dicts only, numbers as int/float/Decimal."""

JsonObject: TypeAlias = "dict[str, JsonValue]"

_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\"}
_ESCAPES.update({code: f"\\u{code:04x}" for code in range(0x20)})
_ESCAPES.update(
    {ord("\b"): "\\b", ord("\f"): "\\f", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
)


def _string(value: str) -> str:
    return '"' + value.translate(_ESCAPES) + '"'


def _number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    # float: its shortest round-trip text is what json.dumps sends to the server,
    # and numeric keeps exactly those digits.
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        raise ValueError(f"jsonb cannot hold {value!r}")
    if number.is_zero():
        number = number.copy_abs()  # numeric has no negative zero
    return format(number, "f")


def _key(item: tuple[str, JsonValue]) -> tuple[int, bytes]:
    encoded = item[0].encode("utf-8")
    return (len(encoded), encoded)


def jsonb_text(value: JsonValue) -> str:
    """Return the text PostgreSQL prints for ``value`` stored as ``jsonb``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, list):
        return "[" + ", ".join(jsonb_text(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=_key)
        return "{" + ", ".join(f"{_string(k)}: {jsonb_text(v)}" for k, v in items) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _check_string(value: str, where: str) -> str:
    if "\x00" in value:
        raise DefinitionError(f"{where}: jsonb strings cannot contain U+0000")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DefinitionError(f"{where}: string is not valid Unicode ({error.reason})") from None
    return value


def to_json_value(value: object, *, where: str) -> JsonValue:
    """Check that ``value`` can be stored as jsonb and return a deep copy of it.

    Mappings become dicts, lists and tuples become lists.  ``where`` prefixes
    error messages (for example ``"flow 'x', step 'y', run_if"``).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _check_string(value, where)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DefinitionError(f"{where}: jsonb cannot hold {value!r}")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise DefinitionError(f"{where}: jsonb cannot hold {value!r}")
        return value
    if isinstance(value, list | tuple):
        return [to_json_value(item, where=f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        result: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DefinitionError(
                    f"{where}: object keys must be strings, not {type(key).__name__} ({key!r})"
                )
            _check_string(key, where)
            result[key] = to_json_value(item, where=f"{where}[{key!r}]")
        return result
    raise DefinitionError(f"{where}: {type(value).__name__} is not a JSON value ({value!r})")


_MAX_REASON = 300
"""Longest decoder message kept in an :class:`UndecodableJson` reason."""

NESTED_TOO_DEEP: Final = "JSON nested deeper than the decoder allows"


class UndecodableJson:
    """Stands in for a stored JSON value that Python's decoder refuses.

    The value is intact in the database (read it there, e.g. with
    ``jsonb_path_query`` or ``::text``); only this process cannot turn it into
    Python objects.  ``reason`` says why (``"JSON nested deeper than the
    decoder allows"``, or the decoder's own message), ``size`` is the length of
    the value's JSON text in bytes.  ``str()`` gives a one-line description, so
    displays and ``json.dumps(..., default=str)`` show the marker rather than
    fail.  Markers compare equal when reason and size are equal.
    """

    __slots__ = ("reason", "size")

    reason: str
    size: int

    def __init__(self, reason: str, size: int) -> None:
        self.reason = reason
        self.size = size

    def __repr__(self) -> str:
        return f"UndecodableJson(reason={self.reason!r}, size={self.size})"

    def __str__(self) -> str:
        return f"<undecodable JSON value of {self.size} bytes: {self.reason}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UndecodableJson):
            return NotImplemented
        return (self.reason, self.size) == (other.reason, other.size)

    def __hash__(self) -> int:
        return hash((self.reason, self.size))


def decode_json(data: bytes | bytearray | str) -> JsonValue | UndecodableJson:
    """``json.loads(data)``, or an :class:`UndecodableJson` when Python cannot decode it.

    Only the limits of Python's decoder are caught (``RecursionError`` for deep
    nesting, ``ValueError`` for oversized integers or malformed text); the
    database only ever sends valid JSON, so anything else is a bug and raises.
    """
    try:
        value: JsonValue = json.loads(data)
    except RecursionError:
        return UndecodableJson(NESTED_TOO_DEEP, _size(data))
    except ValueError as error:
        message = " ".join(str(error).split())
        if len(message) > _MAX_REASON:
            message = message[: _MAX_REASON - 3] + "..."
        return UndecodableJson(f"{type(error).__name__}: {message}", _size(data))
    return value


def _size(data: bytes | bytearray | str) -> int:
    return len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
