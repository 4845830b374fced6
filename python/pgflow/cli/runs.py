"""The run commands: ``worker``, ``start`` and ``status``.

Exit codes beyond the CLI's common ones (see :mod:`pgflow.cli.common`):

* ``worker``: 0 after a clean stop; 5 when handlers were still running at the
  end of the grace period (their tasks are retried once their leases expire).
* ``start --wait``: 0 when the run completed, 1 when it failed or was
  cancelled, 6 when ``--timeout`` passed first, 130 when interrupted (Ctrl-C:
  the run goes on either way).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final
from uuid import UUID

from pgflow.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    require_url,
)
from pgflow.define.loader import load_flow
from pgflow.run.client import Client, RunHandle, WaitTimeoutError
from pgflow.run.display import format_run, json_default
from pgflow.run.rows import RunDetails
from pgflow.run.worker import JsonFormatter, Worker, WorkerOptions

__all__ = [
    "EXIT_ABANDONED",
    "EXIT_TIMEOUT",
    "configure_logging",
    "positive_float",
    "positive_int",
    "register",
    "run_uuid",
    "wait_and_show",
]

EXIT_ABANDONED: Final = 5
EXIT_TIMEOUT: Final = 6

_LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

WORKER_EPILOG = """\
Every option can also come from the environment: PGFLOW_CONCURRENCY,
PGFLOW_BATCH_SIZE, PGFLOW_POLL_INTERVAL, PGFLOW_HEARTBEAT_INTERVAL,
PGFLOW_GRACE_PERIOD, PGFLOW_MAX_OUTPUT_BYTES, PGFLOW_LOG_LEVEL (flags win).

SIGTERM or SIGINT: stop claiming, wait up to --grace-period for running
handlers, report their results, exit 0. A second signal stops at once.
Handlers still running when the grace period ends are left to lease expiry
(the step's timeout) and the exit code is 5."""

START_EPILOG = """\
exit codes with --wait: 0 completed, 1 failed or cancelled, 6 timed out,
130 interrupted (Ctrl-C stops the waiting, not the run: it goes on)."""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add ``worker``, ``start`` and ``status`` to the ``pgflow`` parser."""
    worker = subparsers.add_parser(
        "worker",
        help="run the handlers of one or more flows",
        description="Claim tasks of the given flows from the database and run their "
        "handlers (sync ones on threads, async ones on an event loop), reporting each "
        "result. Several flows share one process and one concurrency limit.",
        epilog=WORKER_EPILOG,
    )
    worker.add_argument("flow_refs", metavar="FLOW_REF", nargs="+")
    worker.add_argument(
        "--concurrency",
        type=_positive_int,
        metavar="N",
        help="handlers running at once (default 10)",
    )
    worker.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="most tasks claimed per claim_tasks call (default 10)",
    )
    worker.add_argument(
        "--poll-interval",
        type=_positive_float,
        metavar="SECONDS",
        help="claim at least this often without a notification (default 5)",
    )
    worker.add_argument(
        "--heartbeat-interval",
        type=_positive_float,
        metavar="SECONDS",
        help="seconds between heartbeats (default 5)",
    )
    worker.add_argument(
        "--grace-period",
        type=_non_negative_float,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT, wait this long for running handlers (default 30)",
    )
    worker.add_argument(
        "--max-output-bytes",
        type=_positive_int,
        metavar="BYTES",
        help="fail a task whose handler output (JSON text) is larger, before sending it "
        "(default 16777216 = 16 MiB; jsonb's own limit is 256 MB)",
    )
    worker.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the check that each flow's shape in the database matches the code",
    )
    worker.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="logging level (default info; debug logs every claim and completion)",
    )
    worker.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="text (default) or json: one JSON object per line, with the task's run, step, "
        "task and attempt on lines logged while a handler runs ($PGFLOW_LOG_FORMAT)",
    )
    worker.set_defaults(func=_worker)

    start = subparsers.add_parser(
        "start",
        help="start a run of a flow",
        description="Start a run of the flow SLUG and print its run id; with --wait, "
        "wait for it to finish (LISTEN/NOTIFY, no polling loop) and print its step table.",
        epilog=START_EPILOG,
    )
    start.add_argument("flow_slug", metavar="SLUG")
    source = start.add_mutually_exclusive_group()
    source.add_argument("--input", metavar="JSON", help="the run input (default {})")
    source.add_argument("--input-file", metavar="PATH", help="read the run input from a file")
    start.add_argument("--run-id", metavar="UUID", type=_uuid, help="idempotency key")
    start.add_argument(
        "--priority",
        type=int,
        default=0,
        metavar="N",
        help="claim order among all claimable tasks: higher first (default 0)",
    )
    start.add_argument("--wait", action="store_true", help="wait for the run to finish")
    start.add_argument(
        "--timeout",
        type=_positive_float,
        metavar="SECONDS",
        help="with --wait: give up after this long (default: wait forever)",
    )
    start.set_defaults(func=_start)

    status = subparsers.add_parser(
        "status",
        help="show a run: steps, statuses, attempts, due times, durations, errors",
        description="Print a run's state: one line per step with its status, tasks, "
        "attempts, duration and error; when a delayed or retrying step's next task "
        "becomes due; every attempt with its outcome, worker and error; then the run's "
        "input and output.",
    )
    status.add_argument("run_id", metavar="RUN_ID", type=_uuid)
    status.add_argument(
        "--json",
        action="store_true",
        help="print the run as JSON (ISO 8601 timestamps; attempts with tracebacks)",
    )
    status.add_argument(
        "-v", "--verbose", action="store_true", help="show each failed attempt's traceback"
    )
    status.set_defaults(func=_status)


# -- argument types ----------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {text!r}") from None


positive_int = _positive_int
positive_float = _positive_float
run_uuid = _uuid


# -- helpers -----------------------------------------------------------------------------


def configure_logging(level: str | None, log_format: str | None = None) -> None:
    """Log to stderr at ``level`` (or ``$PGFLOW_LOG_LEVEL``, default info), as
    text or as one JSON object per line (``$PGFLOW_LOG_FORMAT``, default text)."""
    name = (level or os.environ.get("PGFLOW_LOG_LEVEL") or "info").upper()
    numeric = logging.getLevelName(name)
    if not isinstance(numeric, int):
        raise CliError(f"unknown log level {name.lower()!r}", exit_code=EXIT_USAGE)
    style = (log_format or os.environ.get("PGFLOW_LOG_FORMAT") or "text").lower()
    if style not in ("text", "json"):
        raise CliError(f"unknown log format {style!r} (text or json)", exit_code=EXIT_USAGE)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else logging.Formatter(_LOG_FORMAT))
    logging.basicConfig(level=numeric, handlers=[handler])
    # psycopg's pool logs every checkout at INFO: keep it to problems.
    logging.getLogger("psycopg").setLevel(max(numeric, logging.WARNING))


def _read_input(args: argparse.Namespace) -> object:
    if args.input_file is not None:
        try:
            text = Path(args.input_file).read_text(encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot read --input-file: {error}", exit_code=EXIT_USAGE) from None
        where = args.input_file
    elif args.input is not None:
        text, where = args.input, "--input"
    else:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(f"{where} is not valid JSON: {error}", exit_code=EXIT_USAGE) from None


# -- commands ----------------------------------------------------------------------------


def _worker(args: argparse.Namespace) -> int:
    configure_logging(args.log_level, args.log_format)
    url = require_url(args)
    flows = [load_flow(ref) for ref in args.flow_refs]
    try:
        options = WorkerOptions.from_env(
            concurrency=args.concurrency,
            batch_size=args.batch_size,
            poll_interval=args.poll_interval,
            heartbeat_interval=args.heartbeat_interval,
            grace_period=args.grace_period,
            max_output_bytes=args.max_output_bytes,
            verify_flows=None if args.verify else False,
        )
        worker = Worker(flows, url, options=options)
    except ValueError as error:
        raise CliError(str(error), exit_code=EXIT_USAGE) from None
    report = worker.run()
    return EXIT_OK if report.clean else EXIT_ABANDONED


def _start(args: argparse.Namespace) -> int:
    run_input = _read_input(args)
    if args.timeout is not None and not args.wait:
        raise CliError("--timeout needs --wait", exit_code=EXIT_USAGE)
    with Client(require_url(args)) as client:
        handle = client.start(args.flow_slug, run_input, run_id=args.run_id, priority=args.priority)
        if not args.wait:
            print(handle.run_id)
            return EXIT_OK
        print(f"started run {handle.run_id} of {args.flow_slug}; waiting...", file=sys.stderr)
        return wait_and_show(handle, args.timeout)


def wait_and_show(handle: RunHandle, timeout: float | None) -> int:
    """Wait for the run, print its step table; the exit code of ``start --wait``.

    0 completed, 1 failed or cancelled, 6 timed out, 130 interrupted: in the
    last two the run goes on, and the message says how to follow it.
    """
    try:
        run = handle.wait(timeout)
    except WaitTimeoutError:
        print(
            f"pgflow: run {handle.run_id} still running after {timeout:g} s; "
            f"it goes on: pgflow status {handle.run_id}",
            file=sys.stderr,
        )
        print(format_run(handle.get_run()))
        return EXIT_TIMEOUT
    except KeyboardInterrupt:
        print(
            f"pgflow: stopped waiting; run {handle.run_id} goes on: pgflow status {handle.run_id}",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_INTERRUPTED
    print(format_run(handle.get_run()))
    return EXIT_OK if run.status == "completed" else EXIT_ERROR


def run_document(details: RunDetails) -> dict[str, object]:
    """``pgflow status --json``: the run, its steps (with ``due_at``), tasks and attempts."""
    document = asdict(details)
    for step in document["steps"]:
        step["due_at"] = details.due_at(step["step_slug"])
    return document


def _status(args: argparse.Namespace) -> int:
    with Client(require_url(args)) as client:
        details = client.get_run(args.run_id)
    if args.json:
        print(json.dumps(run_document(details), default=json_default, indent=2, ensure_ascii=False))
    else:
        print(format_run(details, json_limit=None, show_attempts=True, verbose=args.verbose))
    return EXIT_OK
