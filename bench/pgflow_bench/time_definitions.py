"""Time the definition path for a large flow: DSL, hash, compile, deploy, re-deploy.

    scripts/with-postgres.sh .venv/bin/python bench/pgflow_bench/time_definitions.py [--steps 1000]

Needs DATABASE_URL (with-postgres.sh sets it); installs pgflow there if needed.
Builds a deterministic random DAG (each step depends on up to three of the
twenty steps before it; every fifth step is a map step over one dependency,
every seventh has a condition), then reports the median of --repeat runs of:
building the flow, hashing its shape, compiling it, a first deploy (create),
a second deploy (same shape: a no-op), re-applying the compiled migration
(no-op), a changed shape rejected, and a dev --force recreate.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg

from pgflow import Flow, ShapeMismatchError, compile_flow, deploy_flow, install


def build_flow(slug: str, steps: int, seed: int = 7) -> Flow[Any]:
    rng = random.Random(seed)
    flow: Flow[Any] = Flow(slug, max_attempts=3, timeout=60)
    slugs: list[str] = []
    for index in range(steps):
        step_slug = f"step_{index:04d}"
        is_map = index % 5 == 4 and bool(slugs)
        window = slugs[-20:]
        width = 1 if is_map else rng.randint(0, min(3, len(window)))
        flow.add_step(
            step_slug,
            depends_on=rng.sample(window, width) if window else [],
            map=is_map,
            timeout=rng.choice([None, None, 30, 300]),
            run_if={"run": {"tier": "gold"}} if index % 7 == 6 else None,
        )
        slugs.append(step_slug)
    return flow


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set (run under scripts/with-postgres.sh)", file=sys.stderr)
        return 2

    rows: list[tuple[str, float]] = []
    seconds, flow_object = timed(lambda: build_flow("timing_flow", args.steps), args.repeat)
    flow = flow_object if isinstance(flow_object, Flow) else build_flow("timing_flow", args.steps)
    rows.append((f"build the DSL flow ({args.steps} steps)", seconds))
    rows.append(("shape hash", timed(lambda: flow.shape().hash(), args.repeat)[0]))
    seconds, compiled = timed(lambda: compile_flow(flow), args.repeat)
    rows.append(("compile to SQL", seconds))

    with psycopg.connect(url, autocommit=True) as conn:
        install(conn)
        conn.execute("select pg_catalog.set_config('pgflow.allow_drop_flow', 'on', false)")
        create, noop, reapply, reject, recreate = [], [], [], [], []
        changed = build_flow("timing_flow", args.steps)
        changed.add_step("extra", depends_on=[changed.steps[-1].slug])
        for _ in range(args.repeat):
            conn.execute("select pgflow.drop_flow(flow_slug) from pgflow.flows")
            start = time.perf_counter()
            deploy_flow(conn, flow)
            create.append(time.perf_counter() - start)
            start = time.perf_counter()
            deploy_flow(conn, flow)
            noop.append(time.perf_counter() - start)
            start = time.perf_counter()
            conn.execute(str(compiled).encode())
            reapply.append(time.perf_counter() - start)
            start = time.perf_counter()
            try:
                deploy_flow(conn, changed)
            except ShapeMismatchError:
                reject.append(time.perf_counter() - start)
            start = time.perf_counter()
            deploy_flow(conn, changed, force=True)
            recreate.append(time.perf_counter() - start)
        conn.execute("select pgflow.drop_flow(flow_slug) from pgflow.flows")
        version = conn.execute("show server_version").fetchone()

    rows += [
        ("deploy: create (compiled SQL in one DO block)", statistics.median(create)),
        ("deploy again: same shape, no-op", statistics.median(noop)),
        ("apply the migration again: no-op", statistics.median(reapply)),
        ("deploy a changed shape: rejected with diff", statistics.median(reject)),
        ("deploy --dev --force: drop and recreate", statistics.median(recreate)),
    ]
    print(
        f"pgflow definitions, {args.steps}-step flow, median of {args.repeat} "
        f"(PostgreSQL {version[0] if version else '?'}, {len(str(compiled)) // 1024} KiB of SQL)"
    )
    for label, value in rows:
        print(f"  {label:<48} {value * 1000:9.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
