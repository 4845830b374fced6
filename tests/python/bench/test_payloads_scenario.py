"""The payloads scenario times what the worker does (the benchmark asserts no speed)."""

from __future__ import annotations

import base64
import json
import os

from pgflow.payload import CodecContext, Payloads
from pgflow.payload.crypto import EncryptionCodec
from pgflow_bench.payloads import TOKEN, VARIANTS, task_path


def payloads() -> Payloads:
    keys = f"bench:{base64.b64encode(os.urandom(32)).decode()}"
    return Payloads(secrets=EncryptionCodec.from_env_text(keys))


def test_the_timed_sealed_path_stores_only_an_envelope_that_opens_to_the_token() -> None:
    codecs = payloads()
    output = json.loads(task_path(VARIANTS["sealed"], codecs)())
    assert TOKEN not in json.dumps(output)
    assert output["token"]["$pgflow"] == "sealed"
    flow = VARIANTS["sealed"]
    context = CodecContext(flow.slug, flow.steps[0].slug, "output")
    assert codecs.open(output, context) == {"token": TOKEN}


def test_the_timed_plain_path_returns_the_token_in_clear() -> None:
    assert json.loads(task_path(VARIANTS["plain"], payloads())()) == {"token": TOKEN}
