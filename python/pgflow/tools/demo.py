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
6. each run's step table and output;
7. recovery: an invoice batch whose one invoice cannot be charged fails; the
   cause is fixed and the run resumed in place (``pgflow retry RUN_ID``), and
   only that invoice runs again;
8. the workers stopped with SIGTERM, and everything cleaned up.

Exit code 0 when every run ended as expected, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pgflow.define.deploy import deploy_flow
from pgflow.define.install import install, installed_state
from pgflow.define.loader import load_flow
from pgflow.define.manifest import step_levels
from pgflow.define.shape import FlowShape
from pgflow.run.client import Client
from pgflow.run.display import format_duration, format_json, format_run
from pgflow.run.rows import RunStatus, TaskAttempt
from pgflow.tools.provision import ProvisionError, local_server
from pgflow.tools.scratch import scratch_database
from pgflow.tools.testing import WorkerProcess

__all__ = ["DemoRun", "main"]

# Module references, so that the workers (subprocesses) load them from the package.
EXAMPLES = (
    "pgflow.examples.analyze_website:AnalyzeWebsite",
    "pgflow.examples.fanout:WordCount",
    "pgflow.examples.fanout:SquareSum",
    "pgflow.examples.recovery:InvoiceBatch",
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
        try:
            database = stack.enter_context(scratch_database(url, prefix="pgflow_demo"))
        except psycopg.errors.InsufficientPrivilege:
            _out("database    (no CREATEDB privilege: using the given database as is)")
            yield url
            return
        _out(f"database    {database.name} (scratch, dropped at the end)")
        yield database.url


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
            shape = load_flow(ref).shape()
            deployed = deploy_flow(conn, shape)
            _out(f"deploy      {shape.flow_slug:<20} {deployed.action:<9}  {_layers(shape)}")


def _layers(shape: FlowShape) -> str:
    """``website -> sentiment | summary -> saveToDb``: steps by depth, ``[]`` marks a map."""
    depth = step_levels(shape)
    layers: dict[int, list[str]] = {}
    for step in shape.steps:
        name = f"{step.step_slug}[]" if step.step_type == "map" else step.step_slug
        layers.setdefault(depth[step.step_slug], []).append(name)
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


def _recover(client: Client, timeout: float) -> int:
    """A run fails for a cause outside the code; fixed, it resumes in place.

    Returns 0 when it went as it should: failed first, completed after the
    retry, and only the invoice that failed ran again.
    """
    _out("\nrecovery    a failed run, fixed and resumed in place")
    with tempfile.TemporaryDirectory(prefix="pgflow_demo_") as folder:
        marker = os.path.join(folder, "card-renewed")
        invoices = [
            {"invoice": 1, "amount": 120},
            {"invoice": 2, "amount": 80},
            {"invoice": 3, "amount": 45, "needs": marker},
            {"invoice": 4, "amount": 300},
        ]
        run = client.start("invoice_batch_v1", invoices)
        first = run.wait(timeout)
        _out(f"  run {run.run_id} {first.status}: {first.error_message or ''}")
        _out(_attempt_lines(run.attempts()))
        with open(marker, "w", encoding="utf-8") as fixed:
            fixed.write("renewed\n")
        _out(f"  cause fixed ({os.path.basename(marker)} exists); now `pgflow retry {run.run_id}`")
        second = client.retry(run.run_id).wait(timeout)
        attempts = run.attempts()
        _out(
            f"  run {run.run_id} {second.status} after {second.retry_count} retry:"
            f" {format_json(second.output, limit=80)}"
        )
        _out(_attempt_lines(attempts))
    again = {a.task_index for a in attempts if a.step_slug == "charge" and a.attempt > 1}
    as_expected = first.status == "failed" and second.status == "completed" and again == {2}
    _out(
        "  only invoice 3 ran again; the others kept their first (and only) attempt"
        if as_expected
        else "  !! expected a failed run, resumed, with only invoice 3 run again"
    )
    return 0 if as_expected else 1


def _attempt_lines(attempts: Sequence[TaskAttempt]) -> str:
    return "\n".join(
        f"    {a.step_slug}[{a.task_index}] attempt {a.attempt}: {a.outcome}"
        + (f" ({a.error_message})" if a.error_message else "")
        for a in attempts
    )


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
                    unexpected += _recover(client, args.timeout)
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
    _out("to watch runs live in a browser, step through a flow or retry one: make playground")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
