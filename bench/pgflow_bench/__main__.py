"""``python -m pgflow_bench [--quick] [--scenarios a,b] [--repeat N] [--json PATH]``.

Runs against DATABASE_URL (``make bench`` starts a throwaway cluster and sets
it); each scenario gets its own database, created and dropped here.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from pgflow_bench.common import FULL, QUICK, Context
from pgflow_bench.report import Results, environment

# name -> module (each has run(ctx)); the order is the order they run in.
SCENARIOS = {
    "floor": "floor",
    "sql": "sql_path",
    "worker": "worker_path",
    "leases": "leases",
    "flow_control": "flow_control",
    "wakeup": "wakeup",
    "fanout": "fanout",
    "chain": "chain",
    "defs": "definitions",
    "growth": "growth",
    "peers": "peers",
    "ui": "ui",
    "payloads": "payloads",
}

HEAVY = frozenset({"fanout", "growth", "peers"})
"""Scenarios that take minutes at full size: run once unless --repeat is given."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pgflow_bench",
        description="Benchmark pgflow against DATABASE_URL (a server you can create databases on).",
    )
    parser.add_argument("--quick", action="store_true", help="smallest sizes (about a minute)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of: {','.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per scenario (default: 1 with --quick; else 3, and 1 for fanout, growth, peers)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="results file (default bench-results/bench-<UTC timestamp>.json)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="default $DATABASE_URL"
    )
    parser.add_argument(
        "--keep-databases", action="store_true", help="do not drop the bench_* databases at the end"
    )
    args = parser.parse_args(argv)
    unknown = [s for s in args.scenarios.split(",") if s and s not in SCENARIOS]
    if unknown:
        parser.error(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )
    if not args.database_url:
        parser.error("no database: pass --database-url or set DATABASE_URL")
    args.repeat_default = args.repeat is None
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [s for s in SCENARIOS if s in args.scenarios.split(",")]
    sizes = QUICK if args.quick else FULL
    results = Results()
    ctx = Context(url=args.database_url, sizes=sizes, results=results)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = args.json or Path("bench-results") / f"bench-{stamp}.json"
    meta = environment(
        args.database_url,
        {"quick": args.quick, "scenarios": chosen, "repeat": args.repeat, "sizes": sizes.__dict__},
    )
    total0 = time.perf_counter()
    durations: dict[str, float] = {}
    failed = False
    try:
        for name in chosen:
            module = importlib.import_module(f"pgflow_bench.{SCENARIOS[name]}")
            t0 = time.perf_counter()
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            try:
                repeat = args.repeat
                if args.repeat_default and name in HEAVY:
                    repeat = 1
                for _ in range(repeat):
                    module.run(ctx)
            except Exception as error:
                failed = True
                results.errors[name] = f"{type(error).__name__}: {error}"
                traceback.print_exc()
            durations[name] = time.perf_counter() - t0
            print(f"bench: {name} done in {durations[name]:.1f} s", file=sys.stderr, flush=True)
    finally:
        if not args.keep_databases:
            ctx.drop_databases()
    meta["scenario_seconds"] = durations
    meta["total_seconds"] = time.perf_counter() - total0
    print()
    print(results.table())
    print(f"\ntotal {meta['total_seconds']:.1f} s; results in {json_path}")
    results.write_json(json_path, meta)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
