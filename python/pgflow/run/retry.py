"""Retrying database calls: which errors are worth it, how long to wait, when to stop.

The one place the client and the worker decide "is this error transient" and
"how long until the next try".  Transient means the call did not happen or
was rolled back whole, so trying again is safe and may succeed: the
connection was lost or refused for now, or the server rolled the transaction
back (serialization failure, deadlock).  Anything else is the server refusing
what the call carries; repeating it would only repeat the refusal, so it is
raised at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from pgflow.errors import PgflowError

__all__ = [
    "RETRIED_SQLSTATES",
    "Abandoned",
    "Backoff",
    "call_with_retry",
    "is_transient",
    "retry",
]

T = TypeVar("T")


class Abandoned(Exception):
    """A retried call gave up because its caller is stopping (``give_up`` was set)."""


RETRIED_SQLSTATES: Final = frozenset(
    {
        "57P01",  # admin_shutdown: the server is stopping (or the backend was terminated)
        "57P02",  # crash_shutdown: another backend crashed, the server restarts
        "57P03",  # cannot_connect_now: the server is starting up or shutting down
        "53300",  # too_many_connections
        "40001",  # serialization_failure: the transaction was rolled back, nothing applied
        "40P01",  # deadlock_detected: same
    }
)
"""SQLSTATEs retried besides class ``08`` (connection exception)."""


def is_transient(error: BaseException) -> bool:
    """True for errors worth retrying: connection trouble and transaction rollbacks.

    Retried: an ``OperationalError`` without a SQLSTATE (the connection was
    lost on the client's side), ``PoolTimeout``, class ``08`` (connection
    exception) and :data:`RETRIED_SQLSTATES`.  Nothing else is: psycopg maps
    many server refusals to ``OperationalError`` too (class ``53``
    insufficient resources, ``54`` program limit exceeded such as a jsonb over
    256 MB, ``55`` object not in prerequisite state, ``57014`` statement
    cancelled), and retrying those would only repeat the refusal.  A pgflow
    error translated from a psycopg error (:func:`pgflow.errors.translate`) is
    judged by that error.
    """
    if isinstance(error, PgflowError) and isinstance(error.__cause__, psycopg.Error):
        error = error.__cause__
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, psycopg.Error):
        return False
    sqlstate = error.sqlstate
    if sqlstate is None:
        return isinstance(error, psycopg.OperationalError)
    return sqlstate.startswith("08") or sqlstate in RETRIED_SQLSTATES


class Backoff:
    """Capped exponential backoff with jitter: ``initial``, twice that, ... up to ``maximum``."""

    def __init__(self, initial: float = 0.05, maximum: float = 5.0) -> None:
        self._initial = initial
        self._maximum = maximum
        self._next = initial

    def reset(self) -> None:
        self._next = self._initial

    def delay(self) -> float:
        current = self._next
        self._next = min(self._maximum, self._next * 2)
        return current * (0.5 + random.random() / 2)


def retry(
    what: str,
    call: Callable[[], T],
    *,
    log: logging.Logger,
    give_up: threading.Event | None = None,
    deadline: float | None = None,
    backoff: Backoff | None = None,
) -> T:
    """Return ``call()``, calling it again after each transient error (:func:`is_transient`).

    Waits per ``backoff`` (default 50 ms doubling to 5 s) between tries and
    logs each failure on ``log`` (the first and every 20th as a warning).
    Non-transient errors propagate at once.  When ``give_up`` is set during a
    wait, raises :class:`Abandoned`; when the next try would start after
    ``deadline`` (``time.monotonic()``), raises the last error.
    """
    backoff = backoff or Backoff()
    failures = 0
    while True:
        try:
            return call()
        except Exception as error:
            if not is_transient(error):
                raise
            failures += 1
            pause = backoff.delay()
            if deadline is not None and time.monotonic() + pause > deadline:
                raise
            level = logging.WARNING if failures == 1 or failures % 20 == 0 else logging.DEBUG
            log.log(
                level,
                "%s failed (%s: %s); retry %d in %.2f s",
                what,
                type(error).__name__,
                _describe(error),
                failures,
                pause,
            )
            if give_up is not None:
                if give_up.wait(pause):
                    raise Abandoned(f"{what}: stopping") from error
            else:
                time.sleep(pause)


def call_with_retry(
    pool: ConnectionPool[Any],
    what: str,
    action: Callable[[psycopg.Connection[Any]], T],
    *,
    log: logging.Logger,
    give_up: threading.Event | None = None,
    deadline: float | None = None,
) -> T:
    """:func:`retry` of ``action`` on a connection of ``pool`` (a new one each try)."""

    def call() -> T:
        with pool.connection() as conn:
            return action(conn)

    return retry(what, call, log=log, give_up=give_up, deadline=deadline)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    if text:
        return text
    return getattr(error, "sqlstate", None) or type(error).__name__
