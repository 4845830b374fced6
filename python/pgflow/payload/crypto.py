"""Authenticated encryption of secret values: AES-256-GCM, keys that rotate.

Install the extra: ``pip install 'pgflow-py[crypto]'`` (the ``cryptography``
package).  An envelope::

    {"$pgflow": "sealed", "alg": "A256GCM", "kid": "2026-06", "ct": "<base64>"}

``ct`` is the 96-bit random nonce followed by the ciphertext and its 128-bit
tag.  The plaintext is the value's compact JSON text.  The associated data
binds the envelope's header (algorithm, key id) and the flow slug: a sealed
value cannot be moved into another flow, nor its key id swapped, without
failing authentication.  It does not bind the step or the path, on purpose:
a sealed element of a secret array becomes a map task's input, a sealed
output feeds every dependent, and ``retry_run`` re-runs steps with the same
values, so the same envelope is read in several places of its flow.

Why AES-GCM and not Fernet: it authenticates associated data (Fernet cannot
bind the flow and key id), its envelopes are smaller (28 bytes of overhead
against Fernet's 57 plus its base64 layer), and it is faster.  Random 96-bit
nonces are safe for about 2**32 encryptions per key: rotate keys well before
(add a new key last in ``PGFLOW_KEYS``; old values stay readable while their
key is listed).

Keys: ``EncryptionCodec({"2026-06": key_bytes, ...}, current="2026-06")``,
or from the environment: ``PGFLOW_KEYS="old:<base64>,new:<base64>"`` (32-byte
keys, urlsafe or standard base64; the last one encrypts, every one decrypts).
``python -m pgflow.payload.crypto`` prints a new key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
from collections.abc import Mapping
from typing import Final

from pgflow.jsonb import JsonObject, JsonValue
from pgflow.payload.codec import CodecContext, CodecError

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as error:  # pragma: no cover - the test venv installs the extra
    raise ImportError(
        "pgflow.payload.crypto needs the cryptography package: pip install 'pgflow-py[crypto]'"
    ) from error

__all__ = ["ALGORITHM", "KIND", "EncryptionCodec", "new_key"]

KIND: Final = "sealed"
ALGORITHM: Final = "A256GCM"
_NONCE: Final = 12
_KID: Final = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


_ENCODER: Final = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(",", ":"))
_DECODER: Final = json.JSONDecoder()
_AAD_CACHE: Final = 1024
"""Associated data kept per (key id, flow): a few flows, built once each."""

_NONCE_BATCH: Final = 256
"""Nonces drawn from the system's random source at once (one syscall, not one a value)."""


class _Nonces:
    """Random 96-bit nonces, drawn from ``os.urandom`` in batches.

    Nonces are public (each envelope carries its own), so a batch held in
    memory reveals nothing; what matters is that no nonce is ever used twice
    with a key: threads take them under a lock, and a forked child starts a
    batch of its own (``os.fork`` empties the batch in the child) instead of
    repeating its parent's.
    """

    __slots__ = ("_batch", "_lock", "_position")

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        self._lock = threading.Lock()
        self._batch = b""
        self._position = 0

    def take(self) -> bytes:
        with self._lock:
            position = self._position
            if position + _NONCE > len(self._batch):
                self._batch = os.urandom(_NONCE * _NONCE_BATCH)
                position = 0
            self._position = position + _NONCE
            return self._batch[position : position + _NONCE]


_NONCES: Final = _Nonces()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_NONCES.forget)


def new_key() -> str:
    """A fresh 256-bit key, urlsafe base64 (for ``PGFLOW_KEYS``)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _decode_key(kid: str, text: str) -> bytes:
    text = text.strip()
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        raise CodecError(f"key {kid!r} is not base64") from None
    if len(key) != 32:
        raise CodecError(f"key {kid!r} is {len(key)} bytes; AES-256-GCM needs 32")
    return key


class EncryptionCodec:
    """Seals JSON values with AES-256-GCM; opens them with any of its keys."""

    kinds: Final = frozenset({KIND})

    def __init__(self, keys: Mapping[str, bytes], *, current: str | None = None) -> None:
        if not keys:
            raise CodecError("EncryptionCodec needs at least one key")
        for kid, key in keys.items():
            if not _KID.match(kid):
                raise CodecError(f"key id {kid!r} must be 1 to 64 letters, digits, '.', '_' or '-'")
            if len(key) != 32:
                raise CodecError(f"key {kid!r} is {len(key)} bytes; AES-256-GCM needs 32")
        self._ciphers = {kid: AESGCM(bytes(key)) for kid, key in keys.items()}
        self.current = current if current is not None else list(keys)[-1]
        if self.current not in self._ciphers:
            raise CodecError(f"the current key id {self.current!r} is not among the keys")
        self._aad: dict[tuple[str, str], bytes] = {}

    @classmethod
    def from_env(cls, variable: str = "PGFLOW_KEYS") -> EncryptionCodec:
        """Keys from ``kid:base64key,kid:base64key`` (newest last) in ``variable``."""
        return cls.from_env_text(os.environ.get(variable, ""), variable)

    @classmethod
    def from_env_text(cls, text: str, variable: str = "PGFLOW_KEYS") -> EncryptionCodec:
        """Keys from ``kid:base64key,...`` (newest last), as ``PGFLOW_KEYS`` holds them."""
        keys: dict[str, bytes] = {}
        for item in text.split(","):
            if not item.strip():
                continue
            kid, separator, encoded = item.strip().partition(":")
            if not separator:
                raise CodecError(f"{variable} items are kid:base64key; one has no ':'")
            if kid in keys:
                raise CodecError(f"{variable} lists key id {kid!r} twice")
            keys[kid] = _decode_key(kid, encoded)
        if not keys:
            raise CodecError(f"{variable} holds no key")
        return cls(keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def _associated_data(self, kid: str, context: CodecContext) -> bytes:
        key = (kid, context.flow_slug)
        data = self._aad.get(key)
        if data is None:
            data = f"pgflow/1\x00{ALGORITHM}\x00{kid}\x00{context.flow_slug}".encode()
            if len(self._aad) >= _AAD_CACHE:
                self._aad.clear()
            self._aad[key] = data
        return data

    def encode(self, value: JsonValue, context: CodecContext) -> JsonValue:
        plaintext = _ENCODER.encode(value).encode("utf-8")
        nonce = _NONCES.take()
        sealed = self._ciphers[self.current].encrypt(
            nonce, plaintext, self._associated_data(self.current, context)
        )
        return {
            "$pgflow": KIND,
            "alg": ALGORITHM,
            "kid": self.current,
            "ct": binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii"),
        }

    def decode(self, envelope: JsonObject, context: CodecContext) -> JsonValue:
        kid, alg, ct = envelope.get("kid"), envelope.get("alg"), envelope.get("ct")
        if alg != ALGORITHM or not isinstance(kid, str) or not isinstance(ct, str):
            raise CodecError(
                f"a sealed value of flow {context.flow_slug!r} is malformed "
                f"(algorithm {alg!r}, key id {kid!r})"
            )
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise CodecError(
                f"a sealed value of flow {context.flow_slug!r} uses key {kid!r}, which this "
                f"process does not have (it has {', '.join(self._ciphers)}): add it to PGFLOW_KEYS"
            )
        try:
            data = binascii.a2b_base64(ct.encode("ascii"), strict_mode=True)
            plaintext = cipher.decrypt(
                data[:_NONCE], data[_NONCE:], self._associated_data(kid, context)
            )
        except (binascii.Error, ValueError, InvalidTag):
            raise CodecError(
                f"a sealed value of flow {context.flow_slug!r} does not open with key {kid!r}: "
                "a wrong key under that id, a value moved from another flow, or tampering"
            ) from None
        result: JsonValue = _DECODER.decode(plaintext.decode("utf-8"))
        return result


if __name__ == "__main__":  # pragma: no cover
    print(new_key())
