"""The definition commands: ``install``, ``install-files``, ``compile``, ``deploy``, ``inspect``.

``compile`` writes what production applies (a migration file, reviewed like
any other); ``deploy`` applies the same SQL directly, strict by default and
able to drop and recreate a changed flow with ``--dev --force``; ``inspect``
shows a flow's shape and how it compares with the database.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pgflow import queries
from pgflow.cli.common import EXIT_MISMATCH, EXIT_USAGE, CliError, connect
from pgflow.cli.limits import format_limits
from pgflow.define.compiler import (
    compile_shape,
    existing_migrations,
    flow_limits,
    migration_filename,
    registrable_shape,
)
from pgflow.define.deploy import FlowComparison, compare_flow, deploy_flow
from pgflow.define.dsl import Flow
from pgflow.define.install import (
    extension_files,
    extension_version,
    install,
    install_files,
    packaged_sql_dir,
    pg_sharedir,
    plain_script,
)
from pgflow.define.loader import load_flow
from pgflow.define.manifest import manifest, render_dag, render_manifest
from pgflow.errors import ShapeMismatchError
from pgflow.run.rows import FlowInfo, StepLimitsInfo, row_cursor

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add the definition commands to the ``pgflow`` parser."""
    install_parser = subparsers.add_parser(
        "install",
        help="install pgflow into the database (extension or plain script)",
        description="Install pgflow: `create extension pgflow` when the server has the "
        "extension files, or the packaged plain SQL script with --plain (managed servers). "
        "Does nothing if pgflow is already installed.",
    )
    mode = install_parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--plain", action="store_true", help="run the plain SQL script instead of CREATE EXTENSION"
    )
    mode.add_argument(
        "--print",
        dest="print_script",
        action="store_true",
        help="print the plain SQL script (for a migration tool) instead of installing",
    )
    install_parser.set_defaults(func=_install)

    files_parser = subparsers.add_parser(
        "install-files",
        help="copy the extension files from this package into the server's sharedir",
        description="Copy pgflow.control and the pgflow--*.sql scripts shipped in this package "
        "into SHAREDIR/extension, so that `pgflow install` (create extension pgflow) and "
        "`alter extension pgflow update` work on a server that lacks them (embedded or "
        "self-built PostgreSQL). SHAREDIR is `pg_config --sharedir` unless given. Files "
        "already identical are left alone. Run it on the server's machine, as a user who "
        "may write there. Needs no database.",
    )
    where = files_parser.add_mutually_exclusive_group()
    where.add_argument("--sharedir", metavar="DIR", type=Path, help="the server's share directory")
    where.add_argument(
        "--pg-config",
        metavar="PATH",
        default="pg_config",
        help="pg_config of the server (default: pg_config on PATH)",
    )
    where.add_argument(
        "--print",
        dest="print_files",
        action="store_true",
        help="print where the packaged files are instead of copying them",
    )
    files_parser.set_defaults(func=_install_files)

    compile_parser = subparsers.add_parser(
        "compile",
        help="compile a flow into SQL (a migration file)",
        description="Compile FLOW_REF into the SQL that registers it: one atomic DO block "
        "calling create_flow, add_step per step and verify_flow. Prints to stdout unless "
        "-o or --migrations-dir is given; never overwrites a file.",
    )
    compile_parser.add_argument("flow_ref", metavar="FLOW_REF")
    target = compile_parser.add_mutually_exclusive_group()
    target.add_argument("-o", "--output", metavar="FILE", help="write the SQL to FILE")
    target.add_argument(
        "--migrations-dir",
        metavar="DIR",
        help="write DIR/YYYYMMDDHHMMSS_pgflow_<slug>.sql; if DIR already has a migration "
        "for this slug, succeed without writing when it is the same shape and fail "
        "(exit 3) when it is not",
    )
    compile_parser.set_defaults(func=_compile)

    deploy_parser = subparsers.add_parser(
        "deploy",
        help="register a flow in the database (strict; --dev --force recreates)",
        description="Register FLOW_REF in the database. An absent flow is created; the same "
        "shape is a no-op; a different shape under the same slug is refused (exit 3) with "
        "the differences. In development, --dev --force drops the changed flow and all of "
        "its runs, then registers the new shape, in one transaction.",
    )
    deploy_parser.add_argument("flow_ref", metavar="FLOW_REF")
    deploy_parser.add_argument(
        "--dev", action="store_true", help="development database (allows --force)"
    )
    deploy_parser.add_argument(
        "--force",
        action="store_true",
        help="with --dev: drop a changed flow and its runs, then recreate it",
    )
    deploy_parser.set_defaults(func=_deploy)

    inspect_parser = subparsers.add_parser(
        "inspect",
        help="show a flow's manifest and DAG, and how it compares with the database",
        description="Print FLOW_REF's manifest (steps, deps, options, map steps, conditions, "
        "shape hash) and a text DAG. With a database URL, also compare code and database.",
    )
    inspect_parser.add_argument("flow_ref", metavar="FLOW_REF")
    inspect_parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect_parser.add_argument(
        "--offline", action="store_true", help="do not connect, even if a database URL is set"
    )
    inspect_parser.add_argument(
        "--check",
        action="store_true",
        help="exit 3 unless the database has this flow with the same shape",
    )
    inspect_parser.set_defaults(func=_inspect)


# -- install -----------------------------------------------------------------


def _install(args: argparse.Namespace) -> int:
    if args.print_script:
        sys.stdout.write(plain_script())
        return 0
    with connect(args) as conn:
        result = install(conn, mode="plain" if args.plain else "auto")
    state = result.state
    how = f"extension {state.version}" if state.kind == "extension" else "plain script"
    if result.action == "already-installed":
        print(f"pgflow is already installed ({how}); nothing to do")
    else:
        print(f"installed pgflow {state.version or extension_version()} ({how})")
    return 0


def _install_files(args: argparse.Namespace) -> int:
    if args.print_files:
        directory = packaged_sql_dir()
        print(f"# pgflow {extension_version()}: copy these into $(pg_config --sharedir)/extension")
        for file in extension_files():
            print(directory / file.name if directory is not None else file.name)
        return 0
    sharedir = args.sharedir
    try:
        if sharedir is None:
            sharedir = pg_sharedir(args.pg_config)
        results = install_files(sharedir)
    except PermissionError as error:
        raise CliError(
            f"cannot write {error.filename}: permission denied",
            hint="run it as the owner of the server's share directory (often root)",
        ) from error
    for path, written in results:
        print(f"{'installed' if written else 'up to date':<10} {path}")
    print(f"pgflow {extension_version()}: `pgflow install` can now create the extension")
    return 0


# -- compile -----------------------------------------------------------------


def _write_new(path: Path, text: str) -> None:
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise CliError(f"refusing to overwrite {path}: it already exists") from None
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def _compile(args: argparse.Namespace) -> int:
    flow = load_flow(args.flow_ref)
    shape = registrable_shape(flow)
    text = compile_shape(shape, flow_limits(flow))
    if args.migrations_dir is not None:
        directory = Path(args.migrations_dir)
        if not directory.is_dir():
            raise CliError(f"migrations directory {directory} does not exist")
        code_hash = shape.hash()
        for existing in existing_migrations(directory, flow.slug):
            if existing.shape_hash == code_hash:
                print(
                    f"{existing.path}: already registers flow {flow.slug!r} with this shape; "
                    "nothing written",
                    file=sys.stderr,
                )
                return 0
            raise CliError(
                f"{existing.path} already registers flow {flow.slug!r} with a different shape "
                f"(hash {(existing.shape_hash or 'unknown')[:12]}, code {code_hash[:12]})",
                exit_code=EXIT_MISMATCH,
                hint="flows are immutable: give the new shape a new flow slug "
                "(e.g. a _v2 suffix) and compile again",
            )
        path = directory / migration_filename(flow.slug)
        _write_new(path, text)
        print(path)
    elif args.output is not None and args.output != "-":
        _write_new(Path(args.output), text)
        print(args.output)
    else:
        sys.stdout.write(text)
    return 0


# -- deploy ------------------------------------------------------------------


def _deploy(args: argparse.Namespace) -> int:
    if args.force and not args.dev:
        raise CliError(
            "--force drops the flow and all of its runs; it is only allowed with --dev",
            exit_code=EXIT_USAGE,
        )
    flow = load_flow(args.flow_ref)
    shape = registrable_shape(flow)  # definition errors before connecting
    try:
        with connect(args) as conn:
            result = deploy_flow(conn, shape, force=args.force)
    except ShapeMismatchError as error:
        if args.dev:
            error.hint = (
                "flows are immutable; in development, add --force to drop the flow "
                "and its runs and recreate it"
            )
        raise
    short = result.shape_hash[:12]
    steps = len(flow.steps)
    if result.action == "unchanged":
        print(f"flow {flow.slug!r} is up to date ({steps} steps, hash {short}); nothing to do")
    elif result.action == "created":
        print(f"created flow {flow.slug!r} ({steps} steps, hash {short})")
    else:
        print(
            f"recreated flow {flow.slug!r} ({steps} steps, hash {short}): dropped the old "
            f"definition and {result.dropped_runs} run(s); it differed in:"
        )
        for line in result.differences:
            print(f"  {line}")
    return 0


# -- inspect -----------------------------------------------------------------


def _comparison_text(comparison: FlowComparison) -> str:
    if comparison.state == "absent":
        return "database: not deployed\n"
    if comparison.state == "identical":
        return f"database: identical (hash {comparison.code_hash[:12]})\n"
    lines = [
        f"database: DIFFERENT (code hash {comparison.code_hash[:12]}, "
        f"database hash {(comparison.database_hash or '')[:12]})",
        *(f"  {line}" for line in comparison.differences),
    ]
    return "\n".join(lines) + "\n"


def _retired_text(info: FlowInfo | None) -> str:
    if info is None or info.retired_at is None:
        return ""
    when = info.retired_at.isoformat(timespec="seconds")
    return (
        f"retired: since {when}, it takes no new runs "
        f"({info.runs_in_flight} in flight); `pgflow retire --undo {info.flow_slug}` reverses it\n"
    )


def _compare(
    args: argparse.Namespace, flow: Flow[Any]
) -> tuple[FlowComparison, FlowInfo | None] | None:
    if args.offline or args.database_url is None:
        if args.check:
            raise CliError("--check needs a database URL (and no --offline)", exit_code=EXIT_USAGE)
        return None
    with connect(args) as conn:
        comparison = compare_flow(conn, flow)
        with row_cursor(conn, FlowInfo) as cur:
            info = cur.execute(queries.GET_FLOW, {"flow_slug": flow.slug}).fetchone()
        return comparison, info


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _live_limits(args: argparse.Namespace, flow: Flow[Any]) -> list[StepLimitsInfo]:
    """The flow control the database enforces on ``flow``'s limited steps."""
    with connect(args) as conn, row_cursor(conn, StepLimitsInfo) as cur:
        rows = cur.execute(queries.STEP_LIMITS, {"flow_slug": flow.slug}).fetchall()
    return [row for row in rows if row.is_limited]


def _limits_text(flow: Flow[Any], live: list[StepLimitsInfo] | None) -> str:
    """Flow control in code and (with a database) live: operations, not shape."""
    declared = flow_limits(flow)
    lines = ["flow control (operations, not shape; see `pgflow limits`):"]
    if declared:
        lines.append("  in code:")
        rows = [
            StepLimitsInfo(
                slug,
                limits.concurrency,
                None if limits.concurrency_key is None else list(limits.concurrency_key),
                limits.rate_limit,
                limits.rate_period,
                None,
            )
            for slug, limits in declared.items()
        ]
        lines += ["    " + line for line in format_limits(rows).splitlines()]
    else:
        lines.append("  in code: none")
    if live is not None:
        if live:
            lines.append("  in the database:")
            lines += ["    " + line for line in format_limits(live).splitlines()]
        else:
            lines.append("  in the database: none")
    return "\n".join(lines) + "\n"


def _inspect(args: argparse.Namespace) -> int:
    flow = load_flow(args.flow_ref)
    compared = _compare(args, flow)
    comparison, info = compared if compared is not None else (None, None)
    live = (
        _live_limits(args, flow)
        if comparison is not None and comparison.state != "absent"
        else None
    )
    if args.json:
        document: dict[str, Any] = dict(manifest(flow))
        document["flow_control"] = {
            slug: limits.as_json() for slug, limits in flow_limits(flow).items()
        }
        if comparison is not None:
            document["database"] = {
                "state": comparison.state,
                "shape_hash": comparison.database_hash,
                "differences": list(comparison.differences),
                "retired": info is not None and info.retired,
                "retired_at": None if info is None else _iso(info.retired_at),
                "flow_control": {
                    row.step_slug: {
                        "concurrency": row.concurrency,
                        "concurrency_key": row.concurrency_key,
                        "rate_limit": row.rate_limit,
                        "rate_period": row.rate_period,
                    }
                    for row in live or []
                },
            }
        print(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default))
    else:
        sys.stdout.write(render_manifest(flow))
        sys.stdout.write("\n")
        sys.stdout.write(render_dag(flow.shape()))
        if flow_limits(flow) or live:
            sys.stdout.write("\n")
            sys.stdout.write(_limits_text(flow, live))
        if comparison is not None:
            sys.stdout.write("\n")
            sys.stdout.write(_comparison_text(comparison))
            sys.stdout.write(_retired_text(info))
    if args.check and comparison is not None and comparison.state != "identical":
        if comparison.state == "absent":
            print(f"pgflow: error: flow {flow.slug!r} is not deployed", file=sys.stderr)
        else:
            print(f"pgflow: error: flow {flow.slug!r} differs from the database", file=sys.stderr)
        return EXIT_MISMATCH
    return 0
