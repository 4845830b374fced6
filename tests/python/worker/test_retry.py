"""The one retry helper of the client and the worker, without a database.

Which SQLSTATEs are transient is tested against a real server in
test_reporting.py; here: what the helper does with transient and other errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from pgflow.errors import DatabaseUnavailableError, PgflowError
from pgflow.run.retry import Abandoned, Backoff, is_transient, retry

log = logging.getLogger("pgflow.test")


def lost_connection() -> psycopg.OperationalError:
    """What libpq reports when the connection drops: no SQLSTATE."""
    return psycopg.OperationalError("server closed the connection unexpectedly")


def failing(times: int, error: Callable[[], Exception]) -> Callable[[], str]:
    calls = 0

    def call() -> str:
        nonlocal calls
        calls += 1
        if calls <= times:
            raise error()
        return f"ok after {calls}"

    return call


def test_transient_errors_are_retried_until_the_call_succeeds() -> None:
    assert retry("call", failing(3, lost_connection), log=log) == "ok after 4"


def test_other_errors_are_raised_at_once() -> None:
    call = failing(1, lambda: ValueError("refused"))
    with pytest.raises(ValueError, match="refused"):
        retry("call", call, log=log)
    assert call() == "ok after 2"  # it was called once


def test_a_translated_error_is_judged_by_its_psycopg_cause() -> None:
    cause = lost_connection()
    translated = DatabaseUnavailableError("lost")
    translated.__cause__ = cause
    assert is_transient(translated)
    refused = PgflowError("not a database error")
    assert not is_transient(refused)

    def call() -> str:
        raise translated

    with pytest.raises(DatabaseUnavailableError):
        retry("call", call, log=log, deadline=time.monotonic() + 0.2)


def test_past_the_deadline_the_last_error_is_raised() -> None:
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError, match="closed the connection"):
        retry("call", failing(1000, lost_connection), log=log, deadline=started + 0.3)
    assert time.monotonic() - started < 2


def test_a_stopping_caller_abandons_the_retries() -> None:
    stopping = threading.Event()
    threading.Timer(0.2, stopping.set).start()
    with pytest.raises(Abandoned):
        retry("call", failing(1000, lost_connection), log=log, give_up=stopping)


def test_the_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    backoff = Backoff(initial=1.0, maximum=4.0)
    delays = [backoff.delay() for _ in range(5)]
    for delay, nominal in zip(delays, [1, 2, 4, 4, 4], strict=True):
        assert nominal / 2 <= delay <= nominal
    backoff.reset()
    assert backoff.delay() <= 1.0
