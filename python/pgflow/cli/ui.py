"""``pgflow ui``: serve the playground (needs the ``ui`` extra, imported lazily)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pgflow.cli.common import EXIT_USAGE, CliError, require_url
from pgflow.define.loader import load_flow

__all__ = ["register"]

DESCRIPTION = """\
Serve a local web page that shows every deployed flow's DAG and its runs,
live: a run page colours the DAG by step status as workers progress, lists
every attempt with its error and traceback, explains why a step waits, and
(unless --read-only) starts, cancels and retries runs.  Flows given as
FLOW_REF are compared with the database (differences highlighted on the
graph) and can be stepped through: each click claims one task, runs its
handler in this process and shows its input and output.

Binds to 127.0.0.1 by default.  Set PGFLOW_UI_USER and PGFLOW_UI_PASSWORD
to require basic authentication.  See docs/playground.md."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ui", help="serve the playground: flows, runs and step-through", description=DESCRIPTION
    )
    parser.add_argument("flow_refs", nargs="*", metavar="FLOW_REF")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="no actions: hide start/cancel/retry/step and refuse their endpoints (403)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = require_url(args)
    flows = [load_flow(ref) for ref in args.flow_refs]
    user = os.environ.get("PGFLOW_UI_USER") or None
    password = os.environ.get("PGFLOW_UI_PASSWORD") or None
    if (user is None) != (password is None):
        raise CliError(
            "set both PGFLOW_UI_USER and PGFLOW_UI_PASSWORD for basic authentication, or neither",
            exit_code=EXIT_USAGE,
        )
    try:
        from pgflow.ui import UiOptions, serve
    except ImportError as error:
        raise CliError(
            f"pgflow ui needs the ui extra ({error.name or error} is missing)",
            hint="pip install 'pgflow-py[ui]'",
        ) from error
    options = UiOptions(
        conninfo=url,
        flows=flows,
        read_only=args.read_only,
        host=args.host,
        auth=(user, password) if user is not None and password is not None else None,
    )
    shown = f"[{args.host}]" if ":" in args.host else args.host
    mode = " (read-only)" if args.read_only else ""
    print(f"pgflow ui: serving http://{shown}:{args.port}/{mode} — Ctrl-C to stop", file=sys.stderr)
    serve(options, port=args.port)
    return 0
