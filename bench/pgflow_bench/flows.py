"""Flows the benchmark deploys; ``pgflow worker pgflow_bench.flows:NAME`` loads them too."""

from __future__ import annotations

import time
from typing import Any

from pgflow.define.dsl import Flow


def noop(*_args: Any) -> dict[str, Any]:
    """Any step: takes the run input and every dependency's output, returns ``{}``."""
    return {}


BenchSingle: Flow[Any] = Flow("bench_single")
"""One step, one task per run: the queue path."""
BenchSingle.add_step("noop", noop)

BenchMap: Flow[Any] = Flow("bench_map")
"""One root map step: one task per element of the run input."""
BenchMap.add_step("each", noop, map=True)


def chain(steps: int) -> Flow[Any]:
    flow: Flow[Any] = Flow(f"bench_chain_{steps}")
    for i in range(steps):
        flow.add_step(f"s{i}", noop, depends_on=[f"s{i - 1}"] if i else [])
    return flow


def sleep(run: Any) -> dict[str, Any]:
    """Holds its task for ``run.seconds`` (a long handler whose lease must be kept)."""
    time.sleep(float(run["seconds"]))
    return {}


BenchLong: Flow[Any] = Flow("bench_long", timeout=1)
BenchLong.add_step("hold", sleep)
"""A long handler on a 1 s lease: the worker extends it about every 0.33 s."""


def echo_token(run: Any) -> dict[str, Any]:
    """Returns the run's ``token`` (1 kB in the payloads scenario) as its output."""
    return {"token": run["token"]}


BenchPlain1k: Flow[Any, Any] = Flow("bench_plain_1k")
BenchPlain1k.add_step("echo", echo_token)
"""One step reading and returning a 1 kB field, in clear (the payloads baseline)."""

BenchSecret1k: Flow[Any, Any] = Flow("bench_secret_1k", secret_input=["token"])
BenchSecret1k.add_step("echo", echo_token, secret_output=["token"])
"""The same with the field secret: sealed in the input and in the output."""
