"""The ``limits`` command: show and change a flow's flow control on a live flow.

``pgflow limits SLUG`` prints every step's limits.  ``pgflow limits SLUG STEP
--concurrency 3 --concurrency-key run.tenant_id --rate-limit 20 --rate-period 1``
changes them: options left out keep their current value, ``none`` removes one
limit, ``--clear`` starts from no limits.  Limits are operations, not shape
(no new flow slug); changing them needs ``pgflow_operator`` (or the owner).
See docs/flow-control.md.
"""

from __future__ import annotations

import argparse
from typing import Any

from pgflow.cli.common import EXIT_OK, EXIT_USAGE, CliError, require_url
from pgflow.cli.operate import needs_operator
from pgflow.define.limits import parse_concurrency_key
from pgflow.errors import DefinitionError
from pgflow.run.client import Client
from pgflow.run.display import to_json
from pgflow.run.rows import StepLimitsInfo

__all__ = ["format_limits", "register"]

_NONE = "none"


def _limit(text: str) -> int | str:
    if text.strip().lower() == _NONE:
        return _NONE
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'none', got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'none', got {value} (use 'none' to remove a limit)"
        )
    return value


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``limits`` to the ``pgflow`` parser."""
    limits = subparsers.add_parser(
        "limits",
        help="show or change flow control (concurrency, per-key, rate limits) of a live flow",
        description="Show the flow control of the flow SLUG's steps, or change STEP's: "
        "options left out keep their value, 'none' removes a limit, --clear starts from "
        "none. Enforced by claim_tasks across every worker; not part of the flow's shape "
        "(no new slug). Changing needs the pgflow_operator role. See docs/flow-control.md.",
    )
    limits.add_argument("flow_slug", metavar="SLUG")
    limits.add_argument("step_slug", metavar="STEP", nargs="?")
    limits.add_argument(
        "--concurrency",
        type=_limit,
        metavar="N|none",
        help="most tasks of the step started at once",
    )
    limits.add_argument(
        "--concurrency-key",
        metavar="PATH|none",
        help="a dotted path into the task input (run.tenant_id): limits apply per value",
    )
    limits.add_argument(
        "--rate-limit", type=_limit, metavar="N|none", help="most task starts per --rate-period"
    )
    limits.add_argument(
        "--rate-period", type=_limit, metavar="SECONDS|none", help="the rate limit's window"
    )
    limits.add_argument("--clear", action="store_true", help="remove the step's limits first")
    limits.add_argument("--json", action="store_true", help="print JSON")
    limits.set_defaults(func=_limits)


def _changes(args: argparse.Namespace) -> bool:
    return args.clear or any(
        value is not None
        for value in (args.concurrency, args.concurrency_key, args.rate_limit, args.rate_period)
    )


def _merged(args: argparse.Namespace, current: StepLimitsInfo | None) -> dict[str, Any]:
    keep = current is not None and not args.clear

    def pick(given: object, old: object) -> object:
        if given is None:
            return old if keep else None
        return None if given == _NONE else given

    key: object = args.concurrency_key
    if isinstance(key, str) and key.strip().lower() != _NONE:
        try:
            key = list(
                parse_concurrency_key(f"flow {args.flow_slug!r}, step {args.step_slug!r}", key)
                or []
            )
        except DefinitionError as error:
            raise CliError(str(error), exit_code=EXIT_USAGE) from None
    elif isinstance(key, str):
        key = _NONE
    return {
        "concurrency": pick(args.concurrency, current.concurrency if current else None),
        "concurrency_key": pick(key, current.concurrency_key if current else None),
        "rate_limit": pick(args.rate_limit, current.rate_limit if current else None),
        "rate_period": pick(args.rate_period, current.rate_period if current else None),
    }


def format_limits(rows: list[StepLimitsInfo]) -> str:
    """A table of steps and their limits (``-``: none)."""
    header = ("STEP", "CONCURRENCY", "KEY", "RATE")
    lines = [header]
    for row in rows:
        lines.append(
            (
                row.step_slug,
                "-" if row.concurrency is None else str(row.concurrency),
                "-" if row.concurrency_key is None else ".".join(row.concurrency_key),
                "-" if row.rate_limit is None else f"{row.rate_limit}/{row.rate_period}s",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _limits(args: argparse.Namespace) -> int:
    if _changes(args) and args.step_slug is None:
        raise CliError(
            "changing limits needs a STEP: pgflow limits SLUG STEP --concurrency N",
            exit_code=EXIT_USAGE,
        )
    with Client(require_url(args)) as client:
        rows = client.step_limits(args.flow_slug)
        if not rows:
            raise CliError(f"flow {args.flow_slug!r} does not exist or has no steps")
        if args.step_slug is not None:
            current = next((row for row in rows if row.step_slug == args.step_slug), None)
            if current is None:
                raise CliError(f"flow {args.flow_slug!r} has no step {args.step_slug!r}")
            if _changes(args):
                with needs_operator("changing limits"):
                    current = client.set_step_limits(
                        args.flow_slug, args.step_slug, **_merged(args, current)
                    )
            rows = [current]
    print(to_json(rows) if args.json else format_limits(rows))
    return EXIT_OK
