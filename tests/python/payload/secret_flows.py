"""Flows with secrets, for tests/python/payload (load as ``secret_flows.py:Secrets``)."""

from __future__ import annotations

from typing import Any, TypedDict

from pgflow import Flow
from pgflow.jsonb import JsonValue


class SecretRun(TypedDict):
    token: str
    cards: list[str]


class Derived(TypedDict):
    derived: str
    length: int


Secrets: Flow[SecretRun, Any] = Flow(
    "test_secrets", max_attempts=1, timeout=30, secret_input=["token", "cards"]
)


@Secrets.step(secret_output=["derived"])
def use(run: SecretRun) -> Derived:
    """Sees the plain token; returns a secret derived from it and a plain length."""
    token = run["token"]
    assert token.startswith("TOKEN-")
    return {"derived": f"DERIVED-{token}", "length": len(token)}


@Secrets.step(secret_output=True)
def cards(run: SecretRun) -> list[str]:
    """Returns the run's secret card list: a secret array the next step maps over."""
    return run["cards"]


@Secrets.map(cards)
def last4(card: str) -> int:
    """One task per (sealed) card; sees the card plain, returns something not secret."""
    assert card.startswith("CARD-")
    return len(card)


@Secrets.step(use, run_if={"use": {"length": 14}})
def check(run: SecretRun, use: Derived) -> str:
    """Runs on a condition over the plain part of a step with a secret output."""
    assert use["derived"].startswith("DERIVED-")
    return "checked"


class TokenRun(TypedDict):
    token: str


Failing: Flow[TokenRun, Any] = Flow(
    "test_secret_failure", max_attempts=1, timeout=30, secret_input=["token"]
)


@Failing.step()
def boom(run: TokenRun) -> JsonValue:
    """Fails with the secret in its message (and so in its traceback)."""
    raise ValueError(f"the API refused token {run['token']!r} ({run['token']})")


Bounded: Flow[Any, Any] = Flow("test_bounded_output", max_attempts=1, timeout=30)


@Bounded.step(max_output_bytes=1000)
def big(run: object) -> str:
    """Returns 5,000 bytes: under the worker's limit, over the step's."""
    return "x" * 5000
