"""``python -m pgflow.ui.playground`` (``make playground``): the demo, then the page.

Provisions the same throwaway database as ``make demo`` (``DATABASE_URL``,
else a local server), installs pgflow, deploys the example flows, starts a
worker for all of them but ``square_sum_v1`` (left for you to step through),
starts the demo's runs and serves ``pgflow ui`` with every example as a
FLOW_REF until Ctrl-C; then stops the worker and drops the database.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pgflow.define.loader import load_flow
from pgflow.run.client import Client
from pgflow.tools.demo import EXAMPLES, RUNS, _database, _install_and_deploy, _start_workers
from pgflow.ui.app import UiOptions
from pgflow.ui.server import serve

__all__ = ["main"]

STEPPED = "pgflow.examples.fanout:SquareSum"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pgflow.ui.playground")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    with _database(os.environ.get("DATABASE_URL"), prefer_embedded=False) as url:
        _install_and_deploy(url, EXAMPLES)
        served = [ref for ref in EXAMPLES if ref != STEPPED]
        workers = _start_workers(url, served, count=1, concurrency=4)
        try:
            with Client(url) as client:
                for run in RUNS:
                    client.start(run.flow_slug, run.input)
            print(
                f"\nplayground  http://{args.host}:{args.port}/  (Ctrl-C to stop)\n"
                "            square_sum_v1 has no worker: open one of its runs and press Step",
                file=sys.stderr,
                flush=True,
            )
            options = UiOptions(
                conninfo=url, flows=[load_flow(ref) for ref in EXAMPLES], host=args.host
            )
            serve(options, port=args.port)
        finally:
            for worker in workers:
                worker.stop()
                worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
