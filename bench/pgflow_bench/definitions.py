"""Scenario 7: compile and deploy flows of many steps (random DAGs); growth exponent."""

from __future__ import annotations

import itertools
import math
import random
import time
from typing import Any

from pgflow.define.compiler import compile_flow
from pgflow.define.deploy import deploy_flow
from pgflow.define.dsl import Flow
from pgflow_bench.common import Context, connect
from pgflow_bench.flows import noop


def random_dag(slug: str, steps: int, seed: int) -> Flow[Any]:
    """Each step depends on 0 to 3 random earlier steps (definition order is topological)."""
    rng = random.Random(seed)
    flow: Flow[Any] = Flow(slug)
    for i in range(steps):
        k = min(i, rng.randint(0, 3))
        deps = sorted({f"s{j}" for j in rng.sample(range(i), k)}) if k else []
        flow.add_step(f"s{i}", noop, depends_on=deps)
    return flow


def run(ctx: Context) -> None:
    url = ctx.fresh_database("bench_defs")
    sizes = ctx.sizes.def_sizes
    total: dict[int, float] = {}
    with connect(url) as conn:
        for n in sizes:
            flow = random_dag(f"bench_dag_{n}", n, seed=n)
            t0 = time.perf_counter()
            compile_flow(flow)
            compile_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = deploy_flow(conn, flow)  # compiles again, compares, applies
            deploy_s = time.perf_counter() - t0
            if result.action != "created":
                raise RuntimeError(f"defs: deploy of {n} steps was {result.action}")
            total[n] = deploy_s
            ctx.results.add(f"defs.n{n}.compile_s", compile_s, "s", f"compile_flow, {n} steps")
            ctx.results.add(
                f"defs.n{n}.deploy_s", deploy_s, "s", f"deploy_flow (compile + apply), {n} steps"
            )
    ctx.results.add(
        "defs.deploy_s.max", total[sizes[-1]], "s", f"deploy of the largest flow ({sizes[-1]})"
    )
    exponents = []
    for a, b in itertools.pairwise(sizes):
        e = math.log(total[b] / total[a]) / math.log(b / a)
        exponents.append(e)
        ctx.results.add(
            f"defs.exponent.{a}_{b}", e, "", f"log(t{b}/t{a}) / log({b}/{a}) of deploy time"
        )
    ctx.results.add("defs.exponent.max", max(exponents), "", "largest growth exponent")
