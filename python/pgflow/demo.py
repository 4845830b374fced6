"""``python -m pgflow.demo`` (``make demo``): pgflow end to end, in one command.

1. a database: ``--database-url``/``DATABASE_URL``, else a throwaway local
   server (server binaries if present, else the ``embedded`` extra's wheel);
   inside it a scratch database, dropped at the end;
2. pgflow installed (``CREATE EXTENSION`` or the plain script);
3. the example flows shipped in :mod:`pgflow.examples` deployed:
   ``analyze_website_v2`` and the fan-out flows ``word_count_v1`` and
   ``square_sum_v1`` (nothing outside the installed package is needed);
4. two ``pgflow worker`` processes serving all three;
5. runs started on a few inputs, followed as they finish (LISTEN/NOTIFY),
   one of them failing on purpose to show retries and error reporting;
6. each run's step table and output, the workers stopped with SIGTERM, and
   everything cleaned up.

Exit code 0 when every run ended as expected, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pgflow._provision import ProvisionError, local_server
from pgflow.client import Client
from pgflow.deploy import deploy_flow
from pgflow.display import format_duration, format_json, format_run
from pgflow.dsl import Flow
from pgflow.install import install, installed_state
from pgflow.loader import load_flow
from pgflow.runs import RunStatus
from pgflow.testing import WorkerProcess

__all__ = ["DemoRun", "main"]

# Module references, so that the workers (subprocesses) load them from the package.
EXAMPLES = (
    "pgflow.examples.analyze_website:AnalyzeWebsite",
    "pgflow.examples.fanout:WordCount",
    "pgflow.examples.fanout:SquareSum",
)


@dataclass(frozen=True, slots=True)
class DemoRun:
    """One run the demo starts, and the status it should end in."""

    flow_slug: str
    input: Any
    expect: RunStatus = "completed"
    note: str = ""


RUNS: tuple[DemoRun, ...] = (
    DemoRun("analyze_website_v2", {"url": "https://example.com/pgflow"}),
    DemoRun("analyze_website_v2", {"url": "https://example.com/outage"}),
    DemoRun("analyze_website_v2", {"url": "https://blog.example.org/postgres-tips"}),
    DemoRun(
        "analyze_website_v2",
        {"url": "ftp://example.com/not-http"},
        expect="failed",
        note="fails on purpose: 3 attempts with backoff, then the run fails",
    ),
    DemoRun(
        "word_count_v1",
        {
            "text": "Postgres decides what runs next.\n\n"
            "Workers claim tasks, run handlers and report results.\n\n"
            "A map step fans out: one task per paragraph."
        },
    ),
    DemoRun("word_count_v1", {"text": "One paragraph only, counted by one map task."}),
    DemoRun("square_sum_v1", list(range(1, 11))),
    DemoRun("square_sum_v1", [], note="an empty array completes the map step at once"),
)


def _out(text: str = "") -> None:
    print(text, flush=True)


@contextlib.contextmanager
def _database(url: str | None, prefer_embedded: bool) -> Iterator[str]:
    """The server (given or provisioned), then a scratch database in it."""
    with contextlib.ExitStack() as stack:
        if url:
            where = conninfo_to_dict(url)
            _out(
                f"server      {where.get('host') or 'local socket'}:{where.get('port') or 5432}"
                " (from DATABASE_URL)"
            )
        else:
            server = stack.enter_context(local_server("embedded" if prefer_embedded else "any"))
            url = server.url
            _out(f"server      {server.description}")
        yield stack.enter_context(_scratch_database(url))


@contextlib.contextmanager
def _scratch_database(url: str) -> Iterator[str]:
    name = f"pgflow_demo_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.errors.InsufficientPrivilege:
        _out("database    (no CREATEDB privilege: using the given database as is)")
        yield url
        return
    _out(f"database    {name} (scratch, dropped at the end)")
    try:
        yield make_conninfo(url, dbname=name)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def _install_and_deploy(url: str, refs: Sequence[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        state = installed_state(conn)
        result = install(conn, mode="extension" if state.available else "plain")
        how = {
            "created-extension": "create extension pgflow",
            "ran-plain-script": "plain install script (no extension files on this server)",
            "already-installed": "already installed",
        }[result.action]
        _out(f"install     {how}")
        for ref in refs:
            flow = load_flow(ref)
            deployed = deploy_flow(conn, flow)
            _out(f"deploy      {flow.slug:<20} {deployed.action:<9}  {_layers(flow)}")


def _layers(flow: Flow[Any]) -> str:
    """``website -> sentiment | summary -> saveToDb``: steps by depth, ``[]`` marks a map."""
    depth: dict[str, int] = {}
    for step in flow.steps:  # definition order is topological
        depth[step.slug] = 1 + max((depth[d] for d in step.deps), default=-1)
    layers: dict[int, list[str]] = {}
    for step in flow.steps:
        layers.setdefault(depth[step.slug], []).append(
            f"{step.slug}[]" if step.step_type == "map" else step.slug
        )
    return " -> ".join(" | ".join(layers[level]) for level in sorted(layers))


def _start_workers(
    url: str, refs: Sequence[str], count: int, concurrency: int
) -> list[WorkerProcess]:
    workers = [
        WorkerProcess(refs, url, options=["--concurrency", str(concurrency)]) for _ in range(count)
    ]
    for worker in workers:
        worker.start(wait=False)
    for worker in workers:
        worker.wait_registered()
    names = " ".join(refs)
    _out(
        f"workers     {count} x `pgflow worker {names} --concurrency {concurrency}`"
        f" (pids {', '.join(str(w.pid) for w in workers)})"
    )
    return workers


def _run_all(client: Client, runs: Sequence[DemoRun], timeout: float) -> dict[UUID, DemoRun]:
    started_at = time.monotonic()
    handles = {client.start(r.flow_slug, r.input).run_id: r for r in runs}
    _out(f"\nruns        {len(handles)} started; each line appears as its run finishes")
    done = 0

    def finished(run_id: UUID, status: RunStatus) -> None:
        nonlocal done
        done += 1
        spec = handles[run_id]
        mark = "ok " if status == spec.expect else "!! "
        elapsed = time.monotonic() - started_at
        _out(
            f"  {mark}[{done}/{len(handles)}] {elapsed:5.2f} s  {spec.flow_slug:<20}"
            f" {status:<9} {format_json(spec.input, limit=48)}"
        )

    client.wait_all(list(handles), timeout=timeout, on_finished=finished)
    return handles


def _report(client: Client, handles: dict[UUID, DemoRun]) -> int:
    unexpected = 0
    _out("\nrun details")
    for run_id, spec in handles.items():
        details = client.get_run(run_id)
        _out()
        if spec.note:
            _out(f"# {spec.note}")
        _out(format_run(details, json_limit=400))
        if details.status != spec.expect:
            unexpected += 1
            _out(f"  !! expected {spec.expect}")
    return unexpected


def _stop_workers(workers: Sequence[WorkerProcess]) -> None:
    for worker in workers:
        worker.terminate()
    codes = [worker.wait(60) for worker in workers]
    _out(f"\nworkers     stopped with SIGTERM, exit codes {', '.join(map(str, codes))}")
    for index, worker in enumerate(workers, 1):
        for line in worker.log_text().splitlines():
            # Log records only (tracebacks of the failing run are in the log file).
            if line[:2] == "20" and (
                " WARNING " in line or " ERROR " in line or "stopped:" in line
            ):
                _out(f"  w{index} {line[11:]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pgflow.demo", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="server to use (default: $DATABASE_URL, else a throwaway local server)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="per worker (default 4)")
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="without a URL, use the embedded wheel even if server binaries exist",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for all runs")
    args = parser.parse_args(argv)

    refs = list(EXAMPLES)
    began = time.monotonic()
    _out("pgflow demo: flows run inside PostgreSQL, handlers in Python workers\n")
    try:
        with _database(args.database_url, args.embedded) as url:
            _install_and_deploy(url, refs)
            workers = _start_workers(url, refs, args.workers, args.concurrency)
            try:
                with Client(url) as client:
                    handles = _run_all(client, RUNS, args.timeout)
                    unexpected = _report(client, handles)
            finally:
                _stop_workers(workers)
                for worker in workers:
                    worker.close()
    except ProvisionError as error:
        print(f"pgflow demo: {error}", file=sys.stderr)
        return 1
    took = format_duration(timedelta(seconds=time.monotonic() - began))
    if unexpected:
        _out(f"\n{unexpected} run(s) did not end as expected ({took})")
        return 1
    _out(f"\nall {len(RUNS)} runs ended as expected; cleaned up ({took} in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
