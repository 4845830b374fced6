"""FLOW_REF loading: files and modules, with or without ``:Name``, and clear failures."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgflow import Flow, FlowRefError, load_flow
from pgflow.define.loader import split_flow_ref

EXAMPLES = Path(__file__).resolve().parents[3] / "python" / "pgflow" / "examples"


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.fixture
def isolated_sys_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loading modules edits sys.path and sys.modules: undo it after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("flows.py:Flow", ("flows.py", "Flow")),
        ("path/to/flows.py:Analyze", ("path/to/flows.py", "Analyze")),
        ("pkg.module:obj.attr", ("pkg.module", "obj.attr")),
        ("pkg.module", ("pkg.module", None)),
        ("path/to/flows.py", ("path/to/flows.py", None)),
        ("C:\\flows.py", ("C:\\flows.py", None)),
        ("  spaced.py:X  ", ("spaced.py", "X")),
    ],
)
def test_split_flow_ref(ref: str, expected: tuple[str, str | None]) -> None:
    assert split_flow_ref(ref) == expected


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [("", "empty FLOW_REF"), (":Name", "names no module"), ("mod:", "nothing after ':'")],
)
def test_malformed_flow_refs(ref: str, fragment: str) -> None:
    with pytest.raises(FlowRefError, match=fragment):
        split_flow_ref(ref)


@pytest.mark.usefixtures("isolated_sys_path")
def test_loads_the_examples_by_path() -> None:
    flow = load_flow(f"{EXAMPLES}/analyze_website.py:AnalyzeWebsite")
    assert isinstance(flow, Flow)
    assert flow.slug == "analyze_website_v2"
    assert load_flow(f"{EXAMPLES}/fanout.py:WordCount").slug == "word_count_v1"
    # the same file loads once: the same flow object comes back
    assert load_flow(f"{EXAMPLES}/fanout.py:WordCount") is load_flow(
        f"{EXAMPLES}/fanout.py:WordCount"
    )


@pytest.mark.usefixtures("isolated_sys_path")
def test_file_can_import_its_siblings(tmp_path: Path) -> None:
    write(tmp_path / "helpers_for_flows.py", "SLUG = 'from_sibling'\n")
    write(
        tmp_path / "flows.py",
        """
        from helpers_for_flows import SLUG
        from pgflow import Flow
        Only = Flow(SLUG)
        Only.add_step("a")
        """,
    )
    # without :Name, the only flow in the file is used
    assert load_flow(str(tmp_path / "flows.py")).slug == "from_sibling"


@pytest.mark.usefixtures("isolated_sys_path")
def test_loads_by_module_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "myflows" / "__init__.py", "")
    write(
        tmp_path / "myflows" / "billing.py",
        """
        from pgflow import Flow
        class Holder:
            flow = Flow("billing_v1")
            flow.add_step("charge")
        Billing = Holder.flow
        """,
    )
    monkeypatch.chdir(tmp_path)
    assert load_flow("myflows.billing:Billing").slug == "billing_v1"
    assert load_flow("myflows.billing:Holder.flow").slug == "billing_v1"
    # an alias is not a second flow
    assert load_flow("myflows.billing").slug == "billing_v1"


@pytest.mark.usefixtures("isolated_sys_path")
@pytest.mark.parametrize(
    ("source", "ref_suffix", "fragment"),
    [
        ("X = 1\n", ":X", "is not a pgflow Flow (got int)"),
        ("X = 1\n", ":Missing", "has no attribute 'Missing'"),
        ("X = 1\n", "", "must define exactly one flow when no ':Name' is given; it defines none"),
        (
            "from pgflow import Flow\nA = Flow('a')\nB = Flow('b')\n",
            "",
            "it defines A, B",
        ),
        ("raise RuntimeError('boom at import')\n", ":X", "RuntimeError: boom at import"),
        ("def broken(:\n", ":X", "SyntaxError"),
        ("import no_such_module_for_pgflow_tests\n", ":X", "ModuleNotFoundError"),
        (
            "from pgflow import Flow\nF = Flow('f')\nF.add_step('run')\n",
            ":F",
            "DefinitionError: flow 'f': step slug 'run' is reserved",
        ),
    ],
)
def test_file_errors_are_flow_ref_errors(
    tmp_path: Path, source: str, ref_suffix: str, fragment: str
) -> None:
    path = write(tmp_path / "bad_flows.py", source)
    with pytest.raises(FlowRefError) as info:
        load_flow(f"{path}{ref_suffix}")
    assert fragment in str(info.value)


def test_missing_file_and_module() -> None:
    with pytest.raises(FlowRefError, match="no such file"):
        load_flow("does/not/exist.py:Flow")
    with pytest.raises(FlowRefError, match="no module named 'no_such_pkg_pgflow'"):
        load_flow("no_such_pkg_pgflow.flows:Flow")


@pytest.mark.usefixtures("isolated_sys_path")
def test_module_raising_module_not_found_inside_is_reported_as_import_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "inner_import_pkg.py", "import definitely_missing_dependency_xyz\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FlowRefError, match="importing 'inner_import_pkg' failed"):
        load_flow("inner_import_pkg:F")
