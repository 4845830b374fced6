"""Flows the benchmark deploys; ``pgflow worker pgflow_bench.flows:NAME`` loads them too."""

from __future__ import annotations

import time
from typing import Any

from pgflow.define.dsl import Flow


def noop(_input: Any) -> dict[str, Any]:
    return {}


BenchSingle: Flow[Any] = Flow("bench_single").step("noop", noop)
"""One step, one task per run: the queue path."""

BenchMap: Flow[Any] = Flow("bench_map").step("each", noop, map=True)
"""One root map step: one task per element of the run input."""


def chain(steps: int) -> Flow[Any]:
    flow: Flow[Any] = Flow(f"bench_chain_{steps}")
    for i in range(steps):
        flow.step(f"s{i}", noop, depends_on=[f"s{i - 1}"] if i else [])
    return flow


def sleep(input: Any) -> dict[str, Any]:
    """Holds its task for ``run.seconds`` (a long handler whose lease must be kept)."""
    time.sleep(float(input["run"]["seconds"]))
    return {}


BenchLong: Flow[Any] = Flow("bench_long", timeout=1).step("hold", sleep)
"""A long handler on a 1 s lease: the worker extends it about every 0.33 s."""


def echo_token(input: Any) -> dict[str, Any]:
    """Returns the run's ``token`` (1 kB in the payloads scenario) as its output."""
    return {"token": input["run"]["token"]}


BenchPlain1k: Flow[Any] = Flow("bench_plain_1k").step("echo", echo_token)
"""One step reading and returning a 1 kB field, in clear (the payloads baseline)."""

BenchSecret1k: Flow[Any] = Flow("bench_secret_1k", secret_input=["token"]).step(
    "echo", echo_token, secret_output=["token"]
)
"""The same with the field secret: sealed in the input and in the output."""
