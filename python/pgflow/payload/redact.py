"""Redaction: a task's secret plaintext never reaches an error message or a log.

The worker collects every value it opened from a sealed envelope (and every
secret it sealed) into a :class:`Redactor`, and passes the error message and
traceback of a failed task through it before they are stored or logged.  It
replaces each secret string, its JSON and ``repr`` forms, and the JSON text
of each secret object or array, with ``[redacted]``.  Strings shorter than
:data:`MIN_SECRET_LENGTH` are left alone (redacting every ``"a"`` or ``1``
would destroy the message and protect nothing).
"""

from __future__ import annotations

import json
import re
from typing import Final

from pgflow.jsonb import JsonValue

__all__ = ["MIN_SECRET_LENGTH", "REDACTED", "Redactor"]

REDACTED: Final = "[redacted]"
MIN_SECRET_LENGTH: Final = 4


class Redactor:
    """The secret values of one task, and :meth:`redact` to remove them from text.

    :meth:`add` only remembers the value: the strings to look for are worked
    out on the first :meth:`redact`, which happens only when a task fails, so
    a task that succeeds pays almost nothing.
    """

    __slots__ = ("_pattern", "_strings", "_values")

    def __init__(self) -> None:
        self._values: list[JsonValue] = []
        self._strings: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, value: JsonValue) -> None:
        """Remember ``value`` (and every string and number in it) as secret."""
        self._values.append(value)
        self._pattern = None

    def _collect(self, value: JsonValue) -> None:
        if isinstance(value, (dict, list)):
            self._add_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
            self._add_text(json.dumps(value, ensure_ascii=False))
            self._add_text(str(value))
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                self._collect(item)
            return
        if isinstance(value, str):
            self._add_text(value)
            self._add_text(json.dumps(value)[1:-1])  # escaped as in JSON text
            self._add_text(repr(value)[1:-1])  # escaped as in a traceback's repr
            self._add_text(json.dumps(value, ensure_ascii=False)[1:-1])
        elif value is not None and not isinstance(value, bool):
            self._add_text(str(value))

    def _add_text(self, text: str) -> None:
        if len(text) >= MIN_SECRET_LENGTH:
            self._strings.add(text)

    def redact(self, text: str | None) -> str | None:
        """``text`` with every secret replaced by :data:`REDACTED` (longest first)."""
        if text is None or not self._values:
            return text
        if self._pattern is None:
            self._strings.clear()
            for value in self._values:
                self._collect(value)
            if not self._strings:
                return text
            ordered = sorted(self._strings, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(item) for item in ordered))
        return self._pattern.sub(REDACTED, text)
