"""Payloads: codecs that keep secrets sealed and outputs lean (see docs/payloads.md).

* :class:`Payloads` says which codecs a client or worker applies: ``secrets``
  to the paths a flow declares secret, ``outputs`` to every step output.
* :class:`~pgflow.payload.crypto.EncryptionCodec` (extra ``[crypto]``) seals
  secrets with AES-256-GCM and rotating keys (``PGFLOW_KEYS``).
* :class:`~pgflow.payload.claimcheck.ClaimCheckCodec` keeps outputs over a
  threshold in a store of yours and a reference in the database.
* :class:`Codec` is the protocol for your own (compression, ...);
  :class:`ChainCodec` combines several.
"""

from pgflow.payload.codec import ChainCodec, Codec, CodecContext, CodecError, Payloads
from pgflow.payload.redact import Redactor

__all__ = ["ChainCodec", "Codec", "CodecContext", "CodecError", "Payloads", "Redactor"]
