"""The day-2 commands: ``runs``, ``cancel``, ``retry``, ``prune``, ``workers``, ``retire``.

What an operator runs against a live database: list and recover runs, keep
history in check, see the workers, take a flow out of service.  Each is one
or a few calls of the :class:`~pgflow.run.client.Client` (every rule is in
SQL).  ``--json`` output writes timestamps as ISO 8601 with their offset.

Who may do what (see ``docs/client-and-cli.md``): ``pgflow_client`` may list,
cancel and retry runs; ``retire`` and ``prune`` need ``pgflow_operator``.

Exit codes: the CLI's common ones (:mod:`pgflow.cli.common`); ``retry
--wait`` exits like ``start --wait`` (0 completed, 1 failed or cancelled, 6
timed out, 130 interrupted: the run goes on).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, get_args

from pgflow.cli.common import EXIT_OK, EXIT_USAGE, CliError, require_url
from pgflow.cli.runs import positive_float, positive_int, run_uuid, wait_and_show
from pgflow.errors import DatabaseError
from pgflow.run.client import DEFAULT_PRUNE_BATCH, Client
from pgflow.run.display import format_runs, format_time, format_workers, to_json
from pgflow.run.rows import RUN_STATUSES, WorkerState

__all__ = ["parse_duration", "parse_since", "register"]

_UNITS: Final = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_PART: Final = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*")
DURATION_HELP: Final = "e.g. 30d, 12h, 45m, 90s, 1h30m, '2 days'"


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``1h30m``, ``90s``, ``2 weeks`` → a positive timedelta.

    Units: s, m (minutes), h, d, w and their long names.  Anything else is an
    ``argparse.ArgumentTypeError`` (a usage error, exit 2).
    """
    lowered = text.strip().lower()
    total = 0.0
    position = 0
    while position < len(lowered):
        match = _PART.match(lowered, position)
        if match is None or match.group(2) not in _UNITS:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not lowered or position < len(lowered):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} ({DURATION_HELP})")
    if total <= 0:
        raise argparse.ArgumentTypeError(f"must be longer than zero, got {text!r}")
    return timedelta(seconds=total)


def parse_since(text: str) -> datetime | timedelta:
    """A duration back from now (``1h``, ``2d``) or an ISO 8601 time.

    A time without an offset is taken in this machine's local time zone.
    """
    try:
        return parse_duration(text)
    except argparse.ArgumentTypeError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration or an ISO 8601 time: {text!r} "
            f"({DURATION_HELP}, or 2026-01-31T12:00:00Z)"
        ) from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the day-2 commands to the ``pgflow`` parser."""
    runs = subparsers.add_parser(
        "runs",
        help="list runs, newest first (filter by flow, status, start time)",
        description="List runs, newest first: id, flow, status, start, duration, retries "
        "and error. Filters combine.",
    )
    runs.add_argument("--flow", metavar="SLUG", help="only runs of this flow")
    runs.add_argument(
        "--status",
        action="append",
        choices=RUN_STATUSES,
        help="only runs in this status (repeat for several)",
    )
    runs.add_argument(
        "--since",
        type=parse_since,
        metavar="WHEN",
        help=f"only runs started since: a duration back from now ({DURATION_HELP}) "
        "or an ISO 8601 time",
    )
    runs.add_argument(
        "--limit", type=positive_int, default=20, metavar="N", help="at most N runs (default 20)"
    )
    runs.add_argument("--json", action="store_true", help="print JSON (ISO 8601 timestamps)")
    runs.set_defaults(func=_runs)

    cancel = subparsers.add_parser(
        "cancel",
        help="cancel a run",
        description="Cancel a started run: its unfinished steps and tasks stop (a handler "
        "already running finishes, and its result is ignored). A finished run is left as it is.",
    )
    cancel.add_argument("run_id", metavar="RUN_ID", type=run_uuid)
    cancel.set_defaults(func=_cancel)

    retry = subparsers.add_parser(
        "retry",
        help="resume a failed or cancelled run, or re-run steps of a run",
        description="Retry a run in place. Without --from: resume a failed or cancelled run, "
        "keeping its completed work (completed steps and map elements); the rest runs "
        "again with a fresh attempt budget. With --from STEP: re-run STEP and everything "
        "downstream of it (also on a completed run). Prints the run id.",
        epilog="exit codes with --wait: 0 completed, 1 failed or cancelled, 6 timed out, "
        "130 interrupted (the run goes on).",
    )
    retry.add_argument("run_id", metavar="RUN_ID", type=run_uuid)
    retry.add_argument(
        "--from",
        dest="from_steps",
        action="append",
        metavar="STEP",
        help="re-run this step and what depends on it (repeat for several)",
    )
    retry.add_argument("--wait", action="store_true", help="wait for the run to finish")
    retry.add_argument(
        "--timeout",
        type=positive_float,
        metavar="SECONDS",
        help="with --wait: give up after this long (default: wait forever)",
    )
    retry.set_defaults(func=_retry)

    prune = subparsers.add_parser(
        "prune",
        help="delete finished runs (and stopped workers) older than a duration",
        description="Delete runs that finished more than --older-than ago (with their steps, "
        "tasks and attempts), oldest first, in batches of --batch-size (one short "
        "transaction each; a line per batch shows the running total), and forget workers "
        "stopped or silent for that long. Runs still started are never pruned. "
        "Needs the pgflow_operator role.",
    )
    prune.add_argument(
        "--older-than",
        type=parse_duration,
        required=True,
        metavar="DURATION",
        help=f"finished at least this long ago ({DURATION_HELP})",
    )
    prune.add_argument(
        "--max-runs", type=positive_int, metavar="N", help="delete at most N runs this time"
    )
    prune.add_argument(
        "--batch-size",
        type=positive_int,
        default=DEFAULT_PRUNE_BATCH,
        metavar="N",
        help=f"runs per transaction (default {DEFAULT_PRUNE_BATCH})",
    )
    prune.add_argument(
        "--keep-workers", action="store_true", help="prune runs only, not worker records"
    )
    prune.set_defaults(func=_prune)

    workers = subparsers.add_parser(
        "workers",
        help="list workers: live, silent and stopped, last heartbeat, what they serve",
        description="List registered workers, running ones first: state (live; silent: "
        "running but no heartbeat for --silent-after; stopped), host and pid, start, last "
        "heartbeat, stop, and the flow/step pairs each serves.",
    )
    workers.add_argument(
        "--running", action="store_true", help="only workers that have not stopped"
    )
    workers.add_argument(
        "--silent-after",
        type=parse_duration,
        default=timedelta(seconds=60),
        metavar="DURATION",
        help="a running worker without a heartbeat this long is silent (default 60s)",
    )
    workers.add_argument("--json", action="store_true", help="print JSON (ISO 8601 timestamps)")
    workers.set_defaults(func=_workers)

    retire = subparsers.add_parser(
        "retire",
        help="retire a flow: no new runs (runs in flight finish); --undo reverses",
        description="Retire the flow SLUG: start_flow refuses new runs of it (PF018), runs "
        "in flight finish normally and may still be retried, the definition and history "
        "stay. --undo (or `pgflow unretire SLUG`) takes it back into service. Needs the "
        "pgflow_operator role.",
    )
    retire.add_argument("flow_slug", metavar="SLUG")
    retire.add_argument("--undo", action="store_true", help="take the flow back into service")
    retire.add_argument("--json", action="store_true", help="print the flow as JSON")
    retire.set_defaults(func=_retire)

    unretire = subparsers.add_parser(
        "unretire",
        help="take a retired flow back into service",
        description="Same as `pgflow retire --undo SLUG`.",
    )
    unretire.add_argument("flow_slug", metavar="SLUG")
    unretire.add_argument("--json", action="store_true", help="print the flow as JSON")
    unretire.set_defaults(func=_retire, undo=True)


@contextmanager
def _needs_operator(what: str) -> Iterator[None]:
    """A permission error names the role the operation needs."""
    try:
        yield
    except DatabaseError as error:
        if error.sqlstate == "42501" and error.hint is None:
            error.hint = (
                f"{what} needs the pgflow_operator role (or the owner): "
                "grant pgflow_operator to <login role>"
            )
        raise


needs_operator = _needs_operator  # for the limits command (pgflow.cli.limits)


# -- commands ----------------------------------------------------------------------------


def _runs(args: argparse.Namespace) -> int:
    with Client(require_url(args)) as client:
        found = client.list_runs(
            flow=args.flow, status=args.status, since=args.since, limit=args.limit
        )
    if args.json:
        print(to_json(found))
    elif found:
        print(format_runs(found))
    else:
        print("no runs match", file=sys.stderr)
    return EXIT_OK


def _cancel(args: argparse.Namespace) -> int:
    with Client(require_url(args)) as client:
        run = client.cancel(args.run_id)
    if run.status == "cancelled":
        print(f"run {run.run_id} is cancelled (since {format_time(run.cancelled_at)})")
    else:
        print(f"run {run.run_id} is already {run.status}: nothing to cancel")
    return EXIT_OK


def _retry(args: argparse.Namespace) -> int:
    if args.timeout is not None and not args.wait:
        raise CliError("--timeout needs --wait", exit_code=EXIT_USAGE)
    with Client(require_url(args)) as client:
        handle = client.retry(args.run_id, from_steps=args.from_steps)
        run = handle.status()
        what = (
            "re-running " + ", ".join(args.from_steps) + " and what depends on it"
            if args.from_steps
            else "resuming what had not completed"
        )
        print(
            f"retried run {run.run_id} of {run.flow_slug} (retry {run.retry_count}): {what}",
            file=sys.stderr,
        )
        if not args.wait:
            print(run.run_id)
            return EXIT_OK
        return wait_and_show(handle, args.timeout)


def _prune(args: argparse.Namespace) -> int:
    batch_size: int = args.batch_size

    def progress(deleted: int, total: int) -> None:
        # one line per batch once the prune is larger than one batch
        if deleted == batch_size or total > deleted:
            print(f"pruned {deleted} runs ({total} so far)", file=sys.stderr, flush=True)

    with Client(require_url(args)) as client, _needs_operator("pruning"):
        result = client.prune(
            args.older_than,
            max_runs=args.max_runs,
            batch_size=batch_size,
            workers=not args.keep_workers,
            on_batch=progress,
        )
    line = f"pruned {result.runs} runs finished more than {_span(args.older_than)} ago"
    if not args.keep_workers:
        line += f", and {result.workers} workers"
    print(line)
    return EXIT_OK


def _workers(args: argparse.Namespace) -> int:
    with Client(require_url(args)) as client:
        found = client.workers(include_stopped=not args.running, silent_after=args.silent_after)
    if args.json:
        print(to_json(found))
    elif found:
        print(format_workers(found, now=datetime.now(UTC)))
        counts = {state: sum(1 for w in found if w.state == state) for state in _STATES}
        print(", ".join(f"{n} {state}" for state, n in counts.items() if n))
    else:
        print("no workers registered", file=sys.stderr)
    return EXIT_OK


_STATES: Final[tuple[WorkerState, ...]] = get_args(WorkerState)


def _retire(args: argparse.Namespace) -> int:
    with Client(require_url(args)) as client, _needs_operator("retiring a flow"):
        info = client.unretire(args.flow_slug) if args.undo else client.retire(args.flow_slug)
    if args.json:
        print(to_json(info))
    elif info.retired_at is None:
        print(f"flow {info.flow_slug!r} is active: it takes new runs")
    else:
        print(
            f"flow {info.flow_slug!r} is retired (since {format_time(info.retired_at)}): "
            f"it takes no new runs; {info.runs_in_flight} run(s) in flight finish normally"
        )
    return EXIT_OK


def _span(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{span.total_seconds():g}s"
