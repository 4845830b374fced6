"""One fuzzed call: the SQL, its execution as a role, and the verdict on its error.

Allowed outcomes: success, a pgflow error (SQLSTATE ``PFxxx``), a data
exception (class 22), or, for a genuinely huge argument, a program limit
(class 54). Anything else is an unexpected error, reported with the call.
A pgflow error must also keep its message bounded, whatever the input size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from tests.chaos.fuzz.catalog import Function
from tests.chaos.fuzz.values import OMIT, Arg
from tests.chaos.harness.db import Conn

__all__ = ["MAX_MESSAGE", "Verdict", "call"]

MAX_MESSAGE = 2048
"""Longest acceptable primary message (and detail, and hint) of a pgflow error."""


@dataclass(frozen=True, slots=True)
class Verdict:
    sqlstate: str | None
    """None when the call succeeded."""
    problem: str | None = None
    """Why the outcome is not allowed (None when it is)."""
    unbounded: bool = False
    """A pgflow error whose message grew with the input."""
    unsendable: bool = False
    """psycopg could not send the value (a limit of the client, not a finding): noted."""


def render(function: Function, args: list[Arg | Any]) -> str:
    parts = [
        f"{a.name} => {v.short()}" for a, v in zip(function.arguments, args, strict=True)
        if v is not OMIT
    ]  # fmt: skip
    return f"pgflow.{function.name}({', '.join(parts)})"


def statement(function: Function, args: list[Arg | Any]) -> tuple[sql.Composed, list[Any]]:
    pieces: list[sql.Composable] = []
    values: list[Any] = []
    for argument, arg in zip(function.arguments, args, strict=True):
        if arg is OMIT:
            continue
        # names and types come from the catalog, not from generated input
        pieces.append(
            sql.SQL("{} => {}::{}").format(
                sql.Identifier(argument.name),
                sql.Placeholder(),
                sql.SQL(argument.type),
            )
        )
        values.append(arg.value)
    query = sql.SQL("select * from pgflow.{}({})").format(
        sql.Identifier(function.name), sql.SQL(", ").join(pieces)
    )
    return query, values


def call(conn: Conn, function: Function, args: list[Arg | Any]) -> Verdict:
    query, values = statement(function, args)
    huge = any(isinstance(a, Arg) and a.huge for a in args)
    try:
        conn.execute(query, values).fetchall()
    except psycopg.Error as error:
        state = error.sqlstate
        if state is None:
            if conn.broken or conn.closed:
                return Verdict(None, f"connection lost (server crash?) on {render(function, args)}")
            return Verdict(None, f"{type(error).__name__}: {error}"[:300], unsendable=True)
        diag = error.diag
        if state.startswith("PF"):
            longest = max(len(diag.message_primary or ""), len(diag.message_detail or ""),
                          len(diag.message_hint or ""))  # fmt: skip
            if longest > MAX_MESSAGE:
                return Verdict(
                    state,
                    f"{state} message of {longest} characters on {render(function, args)}",
                    unbounded=True,
                )
            return Verdict(state)
        if state.startswith("22") or (state.startswith("54") and huge):
            return Verdict(state)
        message = (diag.message_primary or str(error))[:300]
        return Verdict(state, f"{state} {message!r} on {render(function, args)}")
    return Verdict(None)
