"""Flows the playground tests deploy, step through and run."""

from __future__ import annotations

from typing import TypedDict

from pgflow import Flow


class Numbers(TypedDict):
    n: int


# three steps in a chain: stepping shows each input and output
Steps = Flow[Numbers]("ui_steps_v1")


@Steps.step()
def double(run: Numbers) -> int:
    return run["n"] * 2


@Steps.step(double)
def add_one(run: Numbers, double: int) -> int:
    return double + 1


@Steps.step(add_one)
def describe(run: Numbers, add_one: int) -> str:
    return f"result {add_one}"


# a step that waits long enough to be cancelled or watched
Slow = Flow[Numbers]("ui_slow_v1")


@Slow.step()
def first(run: Numbers) -> int:
    return run["n"]


@Slow.step(first, delay_seconds=3600)
def second(run: Numbers, first: int) -> int:
    return first


# fails every time, with a long backoff: the page shows the error, the
# traceback and when the retry is due
Flaky = Flow[Numbers]("ui_flaky_v1", max_attempts=3, base_delay=600)


@Flaky.step()
def boom(run: Numbers) -> int:
    raise RuntimeError(f"boom {run['n']}")
