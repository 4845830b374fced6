"""Claim check: outputs over a threshold live in your store, the database keeps a reference.

::

    store = LocalDirectoryStore("/var/lib/app/pgflow-payloads")
    payloads = Payloads.from_env(outputs=ClaimCheckCodec(store, threshold=64 * 1024))
    Worker(url, [flow], payloads=payloads)

A step whose output's JSON text is over ``threshold`` bytes stores it with
``store.put`` and completes with an envelope::

    {"$pgflow": "claim_check", "ref": "<key>", "bytes": 1048576, "sha256": "<hex>"}

and the next step's handler receives the value itself: the worker opens the
envelope with ``store.get`` and checks the digest.  Secrets are sealed
before the claim check, so a stored value holds only ciphertext in their
place.  What the database holds is a reference: conditions cannot look
inside a checked output, and a map step cannot fan out over one (keep the
array itself small, or its elements, not the whole, large).  Deleting a
run (``prune_runs``) does not delete its stored values: expire them in the
store (object-store lifecycle rules), older than your retention.

:class:`Store` is the protocol for your own (S3, GCS, ...); a
:class:`LocalDirectoryStore` writes files, for tests and single-host setups.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Final, Protocol

from pgflow.jsonb import JsonObject, JsonValue
from pgflow.payload.codec import CodecContext, CodecError

__all__ = ["KIND", "ClaimCheckCodec", "LocalDirectoryStore", "Store"]

KIND: Final = "claim_check"


class Store(Protocol):
    """Where claim-checked values live: write once, read by key."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...


class LocalDirectoryStore:
    """A :class:`Store` of files in one directory (written atomically)."""

    _KEY: Final = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not self._KEY.match(key) or key.startswith("."):
            raise CodecError(f"claim-check key {key!r} is not a valid file name")
        return self.directory / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        with tempfile.NamedTemporaryFile(dir=self.directory, delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise CodecError(f"claim-checked value {key!r} is missing from the store") from None


class ClaimCheckCodec:
    """Stores outputs whose JSON text is over ``threshold`` bytes in ``store``."""

    kinds: Final = frozenset({KIND})

    def __init__(self, store: Store, *, threshold: int = 64 * 1024) -> None:
        if threshold < 0:
            raise ValueError("threshold must be at least 0")
        self.store = store
        self.threshold = threshold

    def encode(self, value: JsonValue, context: CodecContext) -> JsonValue:
        data = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )
        if len(data) <= self.threshold:
            return value
        key = f"{context.flow_slug}.{context.step_slug or 'input'}.{uuid.uuid4().hex}"
        self.store.put(key, data)
        return {
            "$pgflow": KIND,
            "ref": key,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }

    def decode(self, envelope: JsonObject, context: CodecContext) -> JsonValue:
        key, digest = envelope.get("ref"), envelope.get("sha256")
        if not isinstance(key, str) or not isinstance(digest, str):
            raise CodecError(f"a claim check of flow {context.flow_slug!r} is malformed")
        data = self.store.get(key)
        if hashlib.sha256(data).hexdigest() != digest:
            raise CodecError(f"claim-checked value {key!r} does not match its digest")
        result: JsonValue = json.loads(data)
        return result
