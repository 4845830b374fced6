"""Short autocommit calls through the pool, retried while the database is away.

Every call the worker makes is one statement in autocommit mode: no
transaction is ever held open while a handler runs.  Transient failures
(connection lost, pool exhausted, serialization failure 40001, deadlock
40P01, server shutting down) are retried with capped exponential backoff;
anything else is raised to the caller.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

__all__ = ["Abandoned", "Backoff", "call_with_retry", "is_transient"]

log = logging.getLogger("pgflow.worker")

T = TypeVar("T")


class Abandoned(Exception):
    """A retried call gave up because the worker is stopping or its deadline passed."""


def is_transient(error: BaseException) -> bool:
    """True for errors worth retrying: connection trouble and transaction rollbacks.

    psycopg maps connection loss, ``PoolTimeout``, class 40 (serialization
    failure, deadlock) and class 57 (admin shutdown, cancel) to
    ``OperationalError``.
    """
    return isinstance(error, psycopg.OperationalError)


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
