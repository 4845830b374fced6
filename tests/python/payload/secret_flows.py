"""Flows with secrets, for tests/python/payload (load as ``secret_flows.py:Secrets``)."""

from __future__ import annotations

from pgflow import Flow
from pgflow.jsonb import JsonValue

Secrets = Flow("test_secrets", max_attempts=1, timeout=30, secret_input=["token", "cards"])


@Secrets.step("use", secret_output=["derived"])
def use(input: dict[str, JsonValue]) -> JsonValue:
    """Sees the plain token; returns a secret derived from it and a plain length."""
    run = input["run"]
    assert isinstance(run, dict)
    token = run["token"]
    assert isinstance(token, str)
    assert token.startswith("TOKEN-")
    return {"derived": f"DERIVED-{token}", "length": len(token)}


@Secrets.step("cards", secret_output=True)
def cards(input: dict[str, JsonValue]) -> JsonValue:
    """Returns the run's secret card list: a secret array the next step maps over."""
    run = input["run"]
    assert isinstance(run, dict)
    return run["cards"]


@Secrets.step("last4", depends_on="cards", map=True)
def last4(card: JsonValue) -> JsonValue:
    """One task per (sealed) card; sees the card plain, returns something not secret."""
    assert isinstance(card, str)
    assert card.startswith("CARD-")
    return len(card)


@Secrets.step("check", depends_on="use", run_if={"use": {"length": 14}})
def check(input: dict[str, JsonValue]) -> JsonValue:
    """Runs on a condition over the plain part of a step with a secret output."""
    use_output = input["use"]
    assert isinstance(use_output, dict)
    derived = use_output["derived"]
    assert isinstance(derived, str)
    assert derived.startswith("DERIVED-")
    return "checked"


Failing = Flow("test_secret_failure", max_attempts=1, timeout=30, secret_input=["token"])


@Failing.step("boom")
def boom(input: dict[str, JsonValue]) -> JsonValue:
    """Fails with the secret in its message (and so in its traceback)."""
    run = input["run"]
    assert isinstance(run, dict)
    raise ValueError(f"the API refused token {run['token']!r} ({run['token']})")


Bounded = Flow("test_bounded_output", max_attempts=1, timeout=30)


@Bounded.step("big", max_output_bytes=1000)
def big(input: dict[str, JsonValue]) -> JsonValue:
    """Returns 5,000 bytes: under the worker's limit, over the step's."""
    return "x" * 5000
