"""Fan-out / fan-in: map steps run one task per array element, in parallel.

Two flows:

``word_count_v1`` (``pgflow.examples.fanout:WordCount``) — a dependent map step::

    split ──> count[] ──> total

``split`` cuts the run's text into paragraphs, ``count`` (a map step) counts
the words of one paragraph per task, and ``total`` aggregates the array of
per-paragraph counts (the map step's output, in element order).
Run input: ``{"text": "first paragraph\\n\\nsecond paragraph"}``.

``square_sum_v1`` (``pgflow.examples.fanout:SquareSum``) — a root map step::

    square[] ──> sum

The run input itself is the array (``[1, 2, 3]``); ``square`` gets one
number per task and ``sum`` adds the squares.  An empty array completes the
map step at once with ``[]``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TypedDict

from pgflow import Flow


class Document(TypedDict):
    text: str


class ParagraphCount(TypedDict):
    words: int
    top: list[str]


class Totals(TypedDict):
    paragraphs: int
    words: int
    longest_paragraph: int


WordCount = Flow[Document]("word_count_v1", timeout=30)


@WordCount.step()
def split(run: Document) -> list[str]:
    """Paragraphs are separated by blank lines; empty ones are dropped."""
    return [part.strip() for part in re.split(r"\n\s*\n", run["text"]) if part.strip()]


@WordCount.map(split)
def count(paragraph: str) -> ParagraphCount:
    """One task per paragraph: its word count and three most common words."""
    words = re.findall(r"[a-z']+", paragraph.lower())
    top = [word for word, _ in sorted(Counter(words).items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"words": len(words), "top": top[:3]}


@WordCount.step(count)
def total(run: Document, count: list[ParagraphCount]) -> Totals:
    """Fan-in: the map step's output is the list of task outputs, in paragraph order."""
    return {
        "paragraphs": len(count),
        "words": sum(item["words"] for item in count),
        "longest_paragraph": max((item["words"] for item in count), default=0),
    }


SquareSum = Flow[list[int]]("square_sum_v1")


@SquareSum.map()
def square(number: int) -> int:
    return number * number


@SquareSum.step(square, slug="sum")
def sum_squares(run: list[int], square: list[int]) -> int:
    return sum(square)
