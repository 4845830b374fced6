"""What the worker's per-task payload path may not lose by being cheap.

Nonces are drawn in batches (one syscall per batch, not per value), so they
must still never repeat: not between threads, not in a forked child.
Opening copies only the containers that held an envelope, and never changes
its input.  A ciphertext that is not strict base64 still fails clearly.
"""

from __future__ import annotations

import base64
import copy
import os
import threading
import warnings

import pytest

from pgflow.jsonb import JsonObject, JsonValue
from pgflow.payload import CodecContext, CodecError, Payloads
from pgflow.payload.crypto import EncryptionCodec

CONTEXT = CodecContext("orders", "charge", "input")


def nonce_of(envelope: JsonValue) -> bytes:
    assert isinstance(envelope, dict)
    ct = envelope["ct"]
    assert isinstance(ct, str)
    return base64.b64decode(ct)[:12]


def test_nonces_never_repeat_across_threads() -> None:
    codec = EncryptionCodec({"k1": os.urandom(32)})
    per_thread = 2_000
    sealed: list[list[JsonValue]] = [[] for _ in range(8)]

    def seal(out: list[JsonValue]) -> None:
        for i in range(per_thread):
            out.append(codec.encode(f"secret-{i}", CONTEXT))

    threads = [threading.Thread(target=seal, args=(out,)) for out in sealed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    envelopes = [envelope for out in sealed for envelope in out]
    assert len({nonce_of(envelope) for envelope in envelopes}) == 8 * per_thread
    first = envelopes[0]
    assert isinstance(first, dict)
    assert codec.decode(first, CONTEXT) == "secret-0"


def test_a_forked_child_does_not_reuse_its_parents_nonces() -> None:
    codec = EncryptionCodec({"k1": os.urandom(32)})
    codec.encode("warm up: the parent holds a batch of nonces", CONTEXT)
    read, write = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads; the child only seals
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: seal a few values and send their nonces
        try:
            os.close(read)
            nonces = b"".join(nonce_of(codec.encode("child", CONTEXT)) for _ in range(4))
            os.write(write, nonces)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        child = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status)
    assert os.WEXITSTATUS(status) == 0
    parent = b"".join(nonce_of(codec.encode("parent", CONTEXT)) for _ in range(4))
    child_nonces = {child[i : i + 12] for i in range(0, len(child), 12)}
    parent_nonces = {parent[i : i + 12] for i in range(0, len(parent), 12)}
    assert len(child_nonces) == 4
    assert not child_nonces & parent_nonces


def test_opening_copies_only_the_containers_that_held_an_envelope() -> None:
    payloads = Payloads(secrets=EncryptionCodec({"k1": os.urandom(32)}))
    plain_branch: JsonObject = {"items": [1, 2, {"deep": "x"}], "note": "clear"}
    plain_list: list[JsonValue] = [{"a": 1}, [2, 3]]
    document: JsonObject = {
        "run": payloads.seal_input(
            "orders",
            ["auth.token", "cards"],
            {
                "auth": {"token": "tok_live_123456", "user": "ada"},
                "cards": ["4242 4242", "5555 4444"],
            },
        ),
        "plain": plain_branch,
        "list": plain_list,
        "n": 7,
    }
    before = copy.deepcopy(document)
    opened = payloads.open(document, CONTEXT)
    assert opened == {
        "run": {
            "auth": {"token": "tok_live_123456", "user": "ada"},
            "cards": ["4242 4242", "5555 4444"],
        },
        "plain": plain_branch,
        "list": plain_list,
        "n": 7,
    }
    assert document == before
    assert isinstance(opened, dict)
    assert opened is not document
    assert opened["plain"] is plain_branch
    assert opened["list"] is plain_list


def test_a_document_without_envelopes_is_returned_as_it_is() -> None:
    payloads = Payloads(secrets=EncryptionCodec({"k1": os.urandom(32)}))
    document: JsonValue = {"a": [{"b": [1, {"c": None}]}, "x"], "d": {"e": {}}}
    assert payloads.open(document, CONTEXT) is document


@pytest.mark.parametrize(
    "ct",
    ["not base64!", "QUJD", "QUJDRA", "é" * 40, base64.b64encode(b"x" * 40).decode() + "\n"],
    ids=["not-base64", "too-short", "bad-padding", "not-ascii", "trailing-newline"],
)
def test_a_ciphertext_that_is_not_strict_base64_fails_clearly(ct: str) -> None:
    codec = EncryptionCodec({"k1": os.urandom(32)})
    sealed = codec.encode("secret", CONTEXT)
    assert isinstance(sealed, dict)
    with pytest.raises(CodecError, match="does not open with key 'k1'"):
        codec.decode({**sealed, "ct": ct}, CONTEXT)
