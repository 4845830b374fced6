"""Flows the playground tests deploy, step through and run."""

from __future__ import annotations

from typing import TypedDict

from pgflow import Flow, StepInput


class Numbers(TypedDict):
    n: int


class AfterDouble(StepInput[Numbers]):
    double: int


class AfterAddOne(StepInput[Numbers]):
    add_one: int


class AfterFirst(StepInput[Numbers]):
    first: int


# three steps in a chain: stepping shows each input and output
Steps = Flow[Numbers]("ui_steps_v1")


@Steps.step("double")
def double(input: StepInput[Numbers]) -> int:
    return input["run"]["n"] * 2


@Steps.step("add_one", depends_on=["double"])
def add_one(input: AfterDouble) -> int:
    return input["double"] + 1


@Steps.step("describe", depends_on=["add_one"])
def describe(input: AfterAddOne) -> str:
    return f"result {input['add_one']}"


# a step that waits long enough to be cancelled or watched
Slow = Flow[Numbers]("ui_slow_v1")


@Slow.step("first")
def first(input: StepInput[Numbers]) -> int:
    return input["run"]["n"]


@Slow.step("second", depends_on=["first"], delay_seconds=3600)
def second(input: AfterFirst) -> int:
    return input["first"]


# fails every time, with a long backoff: the page shows the error, the
# traceback and when the retry is due
Flaky = Flow[Numbers]("ui_flaky_v1", max_attempts=3, base_delay=600)


@Flaky.step("boom")
def boom(input: StepInput[Numbers]) -> int:
    raise RuntimeError(f"boom {input['run']['n']}")
