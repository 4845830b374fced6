"""Short autocommit calls through the pool, retried while the database is away.

Every call the worker makes is one statement in autocommit mode: no
transaction is ever held open while a handler runs.  Transient failures
(see :func:`is_transient`) are retried with capped exponential backoff;
anything else is raised to the caller at once, so a call the server refuses
for what it carries is never retried forever.
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

__all__ = ["RETRIED_SQLSTATES", "Abandoned", "Backoff", "call_with_retry", "is_transient"]

log = logging.getLogger("pgflow.worker")

T = TypeVar("T")


class Abandoned(Exception):
    """A retried call gave up because the worker is stopping or its deadline passed."""


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
    lost on the client's side, or ``PoolTimeout``), class ``08`` (connection
    exception) and :data:`RETRIED_SQLSTATES`.  Nothing else is: psycopg maps
    many server refusals to ``OperationalError`` too (class ``53``
    insufficient resources, ``54`` program limit exceeded such as a jsonb over
    256 MB, ``55`` object not in prerequisite state, ``57014`` statement
    cancelled), and retrying those would only repeat the refusal.
    """
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, psycopg.Error):
        return False
    sqlstate = error.sqlstate
    if sqlstate is None:
        return isinstance(error, psycopg.OperationalError)
    return sqlstate.startswith("08") or sqlstate in RETRIED_SQLSTATES


class Backoff:
    """Capped exponential backoff with jitter: 50 ms, 100 ms, ... up to ``maximum``."""

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


def call_with_retry(
    pool: ConnectionPool[Any],
    what: str,
    action: Callable[[psycopg.Connection[Any]], T],
    *,
    give_up: threading.Event | None = None,
    deadline: float | None = None,
) -> T:
    """Run ``action`` on a pooled connection, retrying transient failures.

    Raises :class:`Abandoned` when ``give_up`` is set or ``deadline``
    (``time.monotonic()``) passes between attempts; non-transient errors
    propagate at once.
    """
    backoff = Backoff()
    failures = 0
    while True:
        try:
            with pool.connection() as conn:
                return action(conn)
        except psycopg.Error as error:
            if not is_transient(error):
                raise
            failures += 1
            pause = backoff.delay()
            level = logging.WARNING if failures == 1 or failures % 20 == 0 else logging.DEBUG
            log.log(
                level,
                "%s failed (%s: %s); retry %d in %.2f s",
                what,
                type(error).__name__,
                str(error).strip() or error.sqlstate,
                failures,
                pause,
            )
            if deadline is not None and time.monotonic() + pause > deadline:
                raise Abandoned(f"{what}: gave up after {failures} failures") from error
            if give_up is not None:
                if give_up.wait(pause):
                    raise Abandoned(f"{what}: worker stopping") from error
            else:
                time.sleep(pause)
