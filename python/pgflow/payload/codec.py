"""The codec protocol, chains of codecs, and :class:`Payloads`: where codecs apply.

A codec turns a JSON value into another JSON value and back.  What it
produces is an *envelope*: a JSON object whose ``"$pgflow"`` key names its
kind (``"sealed"``, ``"claim_check"``, ...), so a reader finds envelopes
anywhere in a document and hands each to the codec of its kind, without
knowing where the value came from.  The database only ever sees envelopes in
place of the values they carry; everything else stays plain JSON, so
conditions, map fan-out and fan-in keep working on it.

Two roles (:class:`Payloads`):

* ``secrets`` seals the values at a flow's declared secret paths (the run
  input's ``secret_input``, a step's ``secret_output``); typically
  :class:`~pgflow.payload.crypto.EncryptionCodec`.  What it opens is secret:
  the worker redacts it from errors and logs.
* ``outputs`` may replace any whole step output (after its secrets are
  sealed): compression, or a claim check that keeps large values in an
  object store (:mod:`pgflow.payload.claimcheck`).  It returns the value
  unchanged when it has nothing to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol, runtime_checkable

from pgflow.errors import PgflowError
from pgflow.jsonb import JsonObject, JsonValue
from pgflow.payload.paths import seal_at
from pgflow.vocabulary import SEALED_MARKER

__all__ = [
    "ChainCodec",
    "Codec",
    "CodecContext",
    "CodecError",
    "Payloads",
]

BUILTIN_KINDS: Final = frozenset({"sealed", "claim_check"})
"""The envelope kinds pgflow's own codecs write: a strict reader refuses one it cannot
open; an object of any other kind may be plain user data and is left as it is."""

_MAX_DEPTH = 64
"""Envelopes nested in envelopes deeper than this are refused (a loop, or an attack)."""


class CodecError(PgflowError):
    """A value could not be sealed or opened: no codec for its kind, an unknown
    key id, a wrong key or a tampered envelope.  The message never holds the value."""


@dataclass(frozen=True, slots=True)
class CodecContext:
    """Where a value belongs: its flow, its step (None for the run input) and which side."""

    flow_slug: str
    step_slug: str | None = None
    part: Literal["input", "output"] = "input"


@runtime_checkable
class Codec(Protocol):
    """Encodes a JSON value into an envelope and decodes envelopes of its ``kinds``."""

    @property
    def kinds(self) -> frozenset[str]:
        """The ``"$pgflow"`` values of the envelopes this codec decodes."""
        ...

    def encode(self, value: JsonValue, context: CodecContext) -> JsonValue:
        """What to store instead of ``value`` (``value`` itself when there is nothing to do)."""
        ...

    def decode(self, envelope: JsonObject, context: CodecContext) -> JsonValue:
        """The value an envelope of one of :attr:`kinds` carries."""
        ...


class ChainCodec:
    """Several codecs as one: encodes with each in turn, decodes by kind.

    ``ChainCodec(compress, encrypt)`` compresses, then encrypts what the
    compressor produced; decoding opens the outer envelope, then the inner.
    """

    def __init__(self, *codecs: Codec) -> None:
        if not codecs:
            raise ValueError("ChainCodec needs at least one codec")
        self.codecs = codecs
        self._kinds = frozenset().union(*(codec.kinds for codec in codecs))

    @property
    def kinds(self) -> frozenset[str]:
        return self._kinds

    def encode(self, value: JsonValue, context: CodecContext) -> JsonValue:
        for codec in self.codecs:
            value = codec.encode(value, context)
        return value

    def decode(self, envelope: JsonObject, context: CodecContext) -> JsonValue:
        kind = envelope.get(SEALED_MARKER)
        for codec in reversed(self.codecs):
            if kind in codec.kinds:
                return codec.decode(envelope, context)
        raise CodecError(f"no codec of this chain decodes envelopes of kind {kind!r}")


@dataclass(frozen=True, slots=True)
class Payloads:
    """The codecs a client or worker applies (see the module docstring).

    ``Payloads.from_env()`` seals secrets with the keys of ``PGFLOW_KEYS``
    when it is set, and with nothing otherwise.
    """

    secrets: Codec | None = None
    outputs: Codec | None = None
    _kinds: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds = frozenset() if self.secrets is None else self.secrets.kinds
        if self.outputs is not None:
            kinds |= self.outputs.kinds
        object.__setattr__(self, "_kinds", kinds)

    @classmethod
    def from_env(cls, *, outputs: Codec | None = None) -> Payloads:
        """Secrets sealed with ``PGFLOW_KEYS`` (``kid:base64key,...``, newest last) if set."""
        if not os.environ.get("PGFLOW_KEYS", "").strip():
            return cls(outputs=outputs)
        from pgflow.payload.crypto import EncryptionCodec

        return cls(secrets=EncryptionCodec.from_env(), outputs=outputs)

    @property
    def active(self) -> bool:
        """True when some codec is configured."""
        return self.secrets is not None or self.outputs is not None

    # -- sealing --------------------------------------------------------------

    def seal_input(self, flow_slug: str, paths: Sequence[str], value: JsonValue) -> JsonValue:
        """The run input with its secret ``paths`` sealed."""
        return self._seal(CodecContext(flow_slug, None, "input"), paths, value)

    def seal_output(
        self,
        flow_slug: str,
        step_slug: str,
        paths: Sequence[str],
        value: JsonValue,
        reveal: Callable[[JsonValue], None] | None = None,
    ) -> JsonValue:
        """A step output with its secret ``paths`` sealed, then passed to ``outputs``.

        ``reveal`` is called with each secret value before it is sealed (the
        worker redacts them from any later error).
        """
        context = CodecContext(flow_slug, step_slug, "output")
        value = self._seal(context, paths, value, reveal)
        if self.outputs is not None:
            value = self.outputs.encode(value, context)
        return value

    def _seal(
        self,
        context: CodecContext,
        paths: Sequence[str],
        value: JsonValue,
        reveal: Callable[[JsonValue], None] | None = None,
    ) -> JsonValue:
        if not paths:
            return value
        secrets = self.secrets
        if secrets is None:
            where = (
                f"flow {context.flow_slug!r}"
                if context.step_slug is None
                else f"flow {context.flow_slug!r}, step {context.step_slug!r}"
            )
            raise CodecError(
                f"{where} declares secret {context.part} paths ({', '.join(paths)}) but no "
                "secrets codec is configured: set PGFLOW_KEYS or pass payloads="
            )

        def seal(secret: JsonValue) -> JsonValue:
            if reveal is not None:
                reveal(secret)
            return secrets.encode(secret, context)

        return seal_at(value, paths, seal)

    # -- opening --------------------------------------------------------------

    def open(
        self,
        value: JsonValue,
        context: CodecContext,
        *,
        reveal: Callable[[JsonValue], None] | None = None,
        strict: bool = True,
    ) -> JsonValue:
        """``value`` with every envelope in it opened, at any depth.

        ``reveal`` receives each value the secrets codec opened.  ``strict``
        False leaves envelopes no codec here decodes as they are (a client
        without keys still reads runs); True raises :class:`CodecError` for
        one of pgflow's own kinds (:data:`BUILTIN_KINDS`) and leaves objects of
        other kinds alone (they may be user data with a ``"$pgflow"`` key).
        """
        return self._open(value, context, reveal, strict, 0)

    def _open(
        self,
        value: JsonValue,
        context: CodecContext,
        reveal: Callable[[JsonValue], None] | None,
        strict: bool,
        depth: int,
    ) -> JsonValue:
        # a value without envelopes comes back as the same object, and a
        # container is copied only once something in it was opened; scalars
        # are not visited (most of a document)
        if isinstance(value, list):
            items: list[JsonValue] | None = None
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    opened = self._open(item, context, reveal, strict, depth)
                    if opened is not item:
                        if items is None:
                            items = list(value)
                        items[index] = opened
            return value if items is None else items
        if not isinstance(value, dict):
            return value
        if SEALED_MARKER not in value:
            copy: dict[str, JsonValue] | None = None
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    opened = self._open(item, context, reveal, strict, depth)
                    if opened is not item:
                        if copy is None:
                            copy = dict(value)
                        copy[key] = opened
            return value if copy is None else copy
        if depth >= _MAX_DEPTH:
            raise CodecError(f"envelopes nested more than {_MAX_DEPTH} deep")
        kind = value[SEALED_MARKER]
        if self.secrets is not None and kind in self.secrets.kinds:
            opened = self.secrets.decode(value, context)
            if reveal is not None:
                reveal(opened)
        elif self.outputs is not None and kind in self.outputs.kinds:
            opened = self.outputs.decode(value, context)
        elif strict and kind in BUILTIN_KINDS:
            hint = (
                "this process has no secrets codec: set PGFLOW_KEYS or pass payloads="
                if kind == "sealed"
                else "configure the codec that wrote it"
            )
            raise CodecError(
                f"a value of flow {context.flow_slug!r} is an envelope of kind {kind!r} "
                f"that no codec here decodes ({hint})"
            )
        else:
            return value
        return self._open(opened, context, reveal, strict, depth + 1)
