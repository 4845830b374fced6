"""Static typing: mypy checks handlers against the TypedDicts users declare.

Python cannot infer a step's input from its dependencies the way TypeScript
does, so the typing story is explicit: ``Flow[RunInput]`` types the run input,
a ``StepInput[RunInput]`` subclass per step names its dependencies' outputs,
and the decorator returns the handler unchanged, so every call and key access
is checked.  These tests run mypy (strict) on small programs and assert that it
accepts the right ones and reports the mistakes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

PRELUDE = """\
from typing import Any, TypedDict
from pgflow import Flow, StepInput

class Run(TypedDict):
    url: str

class Page(TypedDict):
    text: str

class SummaryInput(StepInput[Run]):
    website: Page

flow = Flow[Run]("typed")

@flow.step("website")
def website(input: StepInput[Run]) -> Page:
    return {"text": input["run"]["url"]}
"""


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def run_mypy(tmp_path: Path, cache_dir: Path, body: str) -> list[str]:
    path = tmp_path / "typed_flow.py"
    path.write_text(PRELUDE + textwrap.dedent(body), encoding="utf-8")
    stdout, stderr, _ = mypy_api.run(
        [
            "--strict",
            "--python-version=3.11",
            "--no-error-summary",
            "--hide-error-context",
            "--show-error-codes",
            f"--cache-dir={cache_dir}",
            "--config-file=",
            str(path),
        ]
    )
    assert not stderr, stderr
    return [line.split(": ", 1)[1] for line in stdout.splitlines() if ": error: " in line]


def test_a_well_typed_flow_passes(tmp_path: Path, cache_dir: Path) -> None:
    errors = run_mypy(
        tmp_path,
        cache_dir,
        """
        @flow.step("summary", depends_on=["website"])
        def summary(input: SummaryInput) -> str:
            return input["website"]["text"].upper()

        @flow.step("chars", depends_on=["website"], map=True)
        async def chars(letter: str) -> int:
            return ord(letter)

        page: Page = website({"run": {"url": "https://example.com"}})
        text: str = summary({"run": {"url": "u"}, "website": page})

        untyped = Flow("untyped")  # no annotation needed: the run input is Any
        untyped.step("a", lambda input: input).step("b", website, depends_on=["a"])
        untyped.add_step("c", depends_on="b", when_unmet="skip-cascade")
        """,
    )
    assert errors == []


def test_mistakes_are_reported(tmp_path: Path, cache_dir: Path) -> None:
    errors = run_mypy(
        tmp_path,
        cache_dir,
        """
        @flow.step("summary", depends_on=["website"])
        def summary(input: SummaryInput) -> str:
            return input["websit"]["text"]

        @flow.step("count")
        def count(input: StepInput[Run]) -> int:
            return input["run"]["url"] + 1

        @flow.step("two")
        def two(a: int, b: int) -> int:
            return a + b

        website({"run": {"uri": "x"}})
        flow.step("late", website, timeout="60")
        flow.step("policy", website, when_unmet="ignore")
        """,
    )
    joined = "\n".join(errors)
    assert 'TypedDict "SummaryInput" has no key "websit"' in joined
    assert "Unsupported operand types" in joined
    # a two-argument handler does not fit the decorator
    assert 'cannot be "Callable[[int, int], int]"' in joined
    assert '"uri"' in joined
    assert '"timeout"' in joined or "No overload variant" in joined
    assert len(errors) >= 6, joined
