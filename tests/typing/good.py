"""A well-typed flow: mypy --strict must accept every line (tests/python/typing/test_mypy.py; not linted by make lint, which would see the mistakes)."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict, assert_type

from pgflow import AsyncClient, Client, Flow, HandlerStep, Run, Step


class SiteInput(TypedDict):
    url: str


class Page(TypedDict):
    text: str


class Record(TypedDict):
    words: int
    score: float


SiteOutput = TypedDict("SiteOutput", {"saveToDb": Record})

flow = Flow[SiteInput, SiteOutput]("typed_v1", timeout=30)


@flow.step()
def website(run: SiteInput) -> Page:
    return {"text": run["url"]}


@flow.step(website)
def sentiment(run: SiteInput, website: Page) -> float:
    return len(website["text"]) / 10


@flow.step(website)
def split(run: SiteInput, website: Page) -> list[str]:
    return website["text"].split()


@flow.map(split)
async def count(word: str) -> int:
    return len(word)


@flow.step(sentiment, count, slug="saveToDb", max_attempts=5, timeout=10)
def save(run: SiteInput, sentiment: float, count: list[int]) -> Record:
    return {"words": sum(count), "score": sentiment}


# handlers stay callable as the plain functions, with their types
assert_type(website({"url": "u"}), Page)
assert_type(sentiment({"url": "u"}, {"text": "t"}), float)
assert_type(asyncio.run(count("word")), int)
assert_type(save, HandlerStep[SiteInput, Record, [SiteInput, float, list[int]], Record])
dependency: Step[SiteInput, list[int]] = count

# a root map step over a list run input
numbers = Flow[list[int]]("numbers_v1")


@numbers.map()
def square(n: int) -> int:
    return n * n


@numbers.step(square, slug="sum")
def total(run: list[int], square: list[int]) -> int:
    return sum(square)


# optional dependencies are accepted as T | None
@flow.step(website, run_if={"run": {"url": "x"}})
def maybe(run: SiteInput, website: Page) -> str:
    return website["text"]


@flow.step(maybe)
def after_maybe(run: SiteInput, maybe: str | None) -> str:
    return maybe or ""


# more dependencies than are typed statically: accepted, checked at definition time
wide = Flow[int]("wide_v1")
parts = [wide.add_step(f"p{i}") for i in range(8)]


@wide.step(*parts[:7])
def gather(run: int, *outputs: Any) -> int:
    return len(outputs)


# handler-less steps for workers in other languages
elsewhere = flow.add_step("elsewhere", depends_on=[website], timeout=60)


@flow.step(elsewhere)
def after_elsewhere(run: SiteInput, elsewhere: Any) -> None:
    pass


# the client: the input checked against the run type, the result typed by the flow
def use(client: Client) -> None:
    handle = client.start(flow, {"url": "https://example.com"})
    output = handle.result(timeout=30)
    assert_type(output, SiteOutput)
    words: int = output["saveToDb"]["words"]
    row: Run = handle.wait()
    untyped = client.start("typed_v1", {"anything": 1}).result()
    print(words, row.status, untyped)


async def use_async(client: AsyncClient) -> None:
    handle = await client.start(flow, {"url": "https://example.com"})
    assert_type(await handle.result(), SiteOutput)


untyped_flow = Flow("untyped")  # no parameter: the run input is Any
untyped_flow.add_step("a", lambda run: run)
