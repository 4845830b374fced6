"""A flow whose handler returns what its run input asks for (tests of hostile payloads).

Load it as ``tests/python/e2e/payload_flows.py:Payloads``.
"""

from __future__ import annotations

from pgflow import Flow
from pgflow.jsonb import JsonValue

Payloads = Flow("test_payloads", max_attempts=1, timeout=30)


@Payloads.step()
def shape(run: JsonValue) -> JsonValue:
    """``{"size": n}``: a string of n bytes; ``{"output": v}``: v; anything else: ``"ok"``."""
    if isinstance(run, dict) and isinstance(run.get("size"), int):
        size = run["size"]
        assert isinstance(size, int)
        return "x" * size
    if isinstance(run, dict) and "output" in run:
        return run["output"]
    return "ok"
