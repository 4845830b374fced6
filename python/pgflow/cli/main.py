"""The ``pgflow`` command: argument parsing, dispatch and the exit-code policy.

The exit codes are listed in :mod:`pgflow.cli.common`.  Errors are one
``pgflow: error: ...`` line on stderr (with ``detail``/``hint`` lines when
there are any) and no traceback unless ``--debug`` is given.

Subcommands register themselves with ``register(subparsers)`` and set
``func`` (``args -> int | None``) as their parser default; ``args.database_url``
is already resolved from ``--database-url`` or ``DATABASE_URL``, and
:func:`~pgflow.cli.common.connect` opens a connection with errors translated.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn

import psycopg

from pgflow import __version__
from pgflow.cli import definitions, limits, operate, runs, ui
from pgflow.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_MISMATCH,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    CliError,
    database_url,
)
from pgflow.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    DefinitionError,
    FlowRefError,
    PgflowError,
    ShapeMismatchError,
    translate,
)

__all__ = ["build_parser", "main"]

EXIT_CODES_HELP: Final = """\
exit codes:
  0    success (including nothing to do)
  1    the operation failed (database error, file exists, ...)
  2    usage: bad arguments, bad FLOW_REF, invalid flow definition, no database URL
  3    shape mismatch: the flow slug exists with a different shape
  4    the database cannot be reached
  130  interrupted
  (worker and start --wait add codes of their own: see their --help)

FLOW_REF is path/to/flows.py:Name or package.module:Name (":Name" may be
omitted when the module defines exactly one flow)."""


class _ArgumentParser(argparse.ArgumentParser):
    """argparse with our usage exit code and message prefix."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"pgflow: error: {message}\n")


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS: a subcommand's copy of an option must not reset a value given
    # before the subcommand (`pgflow --debug deploy ...`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="PostgreSQL URL or conninfo (default: $DATABASE_URL)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks for errors",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand registered."""
    common = _common_options()
    parser = _ArgumentParser(
        prog="pgflow",
        description="Workflows inside PostgreSQL: install pgflow, compile and deploy flows, "
        "run workers and runs.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )

    class SubcommandParsers(argparse._SubParsersAction):  # type: ignore[type-arg]
        """Gives every subcommand the global options and our parser class."""

        def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
            kwargs.setdefault("parents", [])
            kwargs["parents"] = [common, *kwargs["parents"]]
            kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
            kwargs.setdefault("epilog", EXIT_CODES_HELP)
            return super().add_parser(name, **kwargs)  # type: ignore[no-any-return]

    parser.add_argument(
        "--version", action="version", version=f"pgflow {__version__}", help="print the version"
    )
    parser.register("action", "parsers", SubcommandParsers)
    subparsers = parser.add_subparsers(
        title="commands", metavar="COMMAND", parser_class=_ArgumentParser
    )
    subparsers.required = True

    definitions.register(subparsers)
    runs.register(subparsers)
    operate.register(subparsers)
    limits.register(subparsers)
    ui.register(subparsers)
    return parser


def _exit_code(error: BaseException) -> int:
    if isinstance(error, CliError):
        return error.exit_code
    if isinstance(error, ShapeMismatchError):
        return EXIT_MISMATCH
    if isinstance(error, DatabaseUnavailableError):
        return EXIT_UNAVAILABLE
    if isinstance(error, FlowRefError | DefinitionError):
        return EXIT_USAGE
    return EXIT_ERROR


def _report(error: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    message = str(error).strip() or type(error).__name__
    if not isinstance(error, PgflowError):
        message = f"unexpected {type(error).__name__}: {message}"
    print(f"pgflow: error: {message}", file=sys.stderr)
    detail = error.detail if isinstance(error, DatabaseError) else None
    hint = error.hint if isinstance(error, DatabaseError | CliError) else None
    if detail:
        for line in detail.splitlines():
            print(f"  {line}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    if not debug and not isinstance(error, PgflowError):
        print("hint: run again with --debug for a traceback", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    args.debug = debug
    args.database_url = database_url(args)
    func: Callable[[argparse.Namespace], int | None] = args.func
    try:
        try:
            return func(args) or EXIT_OK
        except psycopg.Error as error:
            raise translate(error) from error
    except KeyboardInterrupt:
        print("pgflow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `pgflow compile ... | head`: not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:
        _report(error, debug)
        return _exit_code(error)
