"""Static typing: mypy --strict checks every edge of a flow, and the client's start and result.

``tests/typing/good.py`` is a well-typed flow that must pass; ``tests/typing/mistakes.py``
holds each mistake issue 15 lists (a handler typed with another flow's run
input, a dependency typed ``str`` when that step returns ``int``, a parameter
that is not a dependency, a map over a step that returns ``int``, a wrong
start input, ...), each line marked ``# E: <text>`` with the message mypy must
give there; no other line may have an error.  mypy runs in-process through
its API, with ``--strict`` and no configuration file.  The two programs live
outside ``tests/python`` so that ``make lint`` (which must pass) does not
type-check the mistakes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api as mypy_api

PROGRAMS = Path(__file__).resolve().parents[2] / "typing"
MARK = re.compile(r"#\s*E:\s*(?P<text>.+?)\s*$")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def run_mypy(path: Path, cache_dir: Path) -> dict[int, list[str]]:
    """``{line: [messages]}`` of the errors mypy --strict reports in ``path``."""
    stdout, stderr, status = mypy_api.run(
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
    errors: dict[int, list[str]] = {}
    for line in stdout.splitlines():
        found = re.match(r"(.+?):(\d+): error: (.*)$", line)
        if found:
            assert Path(found.group(1)).name == path.name, line
            errors.setdefault(int(found.group(2)), []).append(found.group(3))
    assert (status == 0) == (not errors), stdout
    return errors


def test_a_well_typed_flow_and_client_pass(cache_dir: Path) -> None:
    assert run_mypy(PROGRAMS / "good.py", cache_dir) == {}


def test_each_mistake_is_reported_on_its_line_with_its_message(cache_dir: Path) -> None:
    path = PROGRAMS / "mistakes.py"
    expected = {
        number: found.group("text")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if (found := MARK.search(line))
    }
    assert len(expected) >= 14
    errors = run_mypy(path, cache_dir)
    unexpected = {line: messages for line, messages in errors.items() if line not in expected}
    assert unexpected == {}
    for line, text in expected.items():
        messages = errors.get(line, [])
        assert any(text in message for message in messages), (line, text, messages)
