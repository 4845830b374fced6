"""Every relative link in README.md and docs/*.md resolves.

A link ``[text](path)`` or ``[text](path#anchor)`` (also an image, or a
reference definition ``[label]: path``) that is not an absolute URL must name
an existing file or directory, relative to the document that holds it; an
``#anchor`` into a markdown file must name one of its headings, slugged the
way GitHub slugs them. Links inside code (fenced blocks, inline code spans)
are text, not links, and are not checked.

The checks need no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

# Links with a scheme (https:, mailto:, ...) or protocol-relative ones point
# outside the repository.
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target); the target may be <bracketed> and may be
# followed by a "title". Text may hold one level of nested brackets.
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(?:<([^>]*)>|([^\s)]+))(?:\s+\"[^\"]*\")?\s*\)"
)
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(?:<([^>]*)>|(\S+))")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")


@dataclass(frozen=True)
class Link:
    document: Path
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}: ({self.target})"


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        yield number, line


def links_in(document: Path) -> list[Link]:
    found: list[Link] = []
    for number, line in prose_lines(document.read_text(encoding="utf-8")):
        text = INLINE_CODE.sub("", line)
        matches = [*INLINE_LINK.finditer(text), *REFERENCE_DEFINITION.finditer(text)]
        for match in matches:
            target = match.group(1) if match.group(1) is not None else match.group(2)
            found.append(Link(document, number, target))
    return found


def relative_links(document: Path) -> list[Link]:
    return [link for link in links_in(document) if not EXTERNAL.match(link.target)]


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (before de-duplication)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = text.replace("`", "")
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = re.sub(r"(\*+|\b_+|_+\b)(?=\S)(.+?)(?<=\S)\1", r"\2", text)  # emphasis
    text = text.strip().lower()
    # Keep letters, digits, marks, '_', '-' and spaces; drop other punctuation.
    text = "".join(ch for ch in text if ch.isalnum() or ch in "_- " or ch.isspace())
    return re.sub(r"\s", "-", text)


def anchors_of(document: Path) -> set[str]:
    """Every heading anchor of a markdown file, duplicates numbered -1, -2, ..."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(document.read_text(encoding="utf-8")):
        match = ATX_HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def resolve(link: Link) -> tuple[Path, str | None]:
    path_part, _, anchor = link.target.partition("#")
    path = link.document if path_part == "" else link.document.parent / unquote(path_part)
    return path, (unquote(anchor) if anchor else None)


def links_to_missing_files(document: Path) -> list[Link]:
    return [link for link in relative_links(document) if not resolve(link)[0].exists()]


def links_to_missing_headings(document: Path) -> list[Link]:
    """Links whose #anchor names no heading of the markdown file they point to."""
    broken = []
    for link in relative_links(document):
        path, anchor = resolve(link)
        if anchor is None or path.suffix != ".md" or not path.is_file():
            continue
        if anchor not in anchors_of(path):
            broken.append(link)
    return broken


def document_id(document: Path) -> str:
    return str(document.relative_to(ROOT))


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_relative_links_name_existing_files(document: Path) -> None:
    broken = links_to_missing_files(document)
    assert not broken, "links to files that do not exist:\n" + "\n".join(map(str, broken))


@pytest.mark.parametrize("document", DOCUMENTS, ids=document_id)
def test_anchors_name_existing_headings(document: Path) -> None:
    broken = links_to_missing_headings(document)
    assert not broken, "links to headings that do not exist:\n" + "\n".join(map(str, broken))


def test_the_documents_are_found() -> None:
    names = {document_id(document) for document in DOCUMENTS}
    assert {"README.md", "docs/sql-reference.md", "docs/benchmark.md"} <= names


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Error codes (SQLSTATE)", "error-codes-sqlstate"),
        ("`pgflow start` and `pgflow status`", "pgflow-start-and-pgflow-status"),
        ("FLOW_REF: naming a flow in code", "flow_ref-naming-a-flow-in-code"),
        ("The ten pitfalls, and what it does", "the-ten-pitfalls-and-what-it-does"),
        ("Try it: `make demo`", "try-it-make-demo"),
        ("**Bold** and *em*", "bold-and-em"),
        ("A [link](x.md) inside", "a-link-inside"),
        ("Before → after", "before--after"),
    ],
)
def test_headings_slug_like_github(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_repeated_headings_get_numbered_anchors(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text("# Notes\n\n## Notes\n\n### Notes\n", encoding="utf-8")
    assert anchors_of(document) == {"notes", "notes-1", "notes-2"}


def test_links_and_headings_in_code_are_text(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "# Title\n\n"
        "[real](a.md) and `[in code](b.md)`\n\n"
        "```python\n"
        "Flow[T](slug)  # [not a link](c.md)\n"
        "# not a heading\n"
        "```\n",
        encoding="utf-8",
    )
    assert [link.target for link in links_in(document)] == ["a.md"]
    assert anchors_of(document) == {"title"}


def test_external_links_are_not_checked(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "[web](https://x.invalid/y) [mail](mailto:a@x.invalid) [file](a.md)\n", encoding="utf-8"
    )
    assert [link.target for link in relative_links(document)] == ["a.md"]


def test_a_link_to_a_missing_file_is_caught(tmp_path: Path) -> None:
    (tmp_path / "present.md").write_text("# Present\n", encoding="utf-8")
    document = tmp_path / "doc.md"
    document.write_text(
        "[ok](present.md) [ok](present.md#present) [gone](missing.md#present)\n"
        "[ref]: ./also-missing.md\n",
        encoding="utf-8",
    )
    broken = [link.target for link in links_to_missing_files(document)]
    assert broken == ["missing.md#present", "./also-missing.md"]


def test_a_link_to_a_missing_heading_is_caught(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Present\n", encoding="utf-8")
    document = tmp_path / "doc.md"
    document.write_text(
        "[ok](other.md#present) [ok](#top) [bad](other.md#absent) [bad](#nowhere)\n\n# Top\n",
        encoding="utf-8",
    )
    broken = [link.target for link in links_to_missing_headings(document)]
    assert broken == ["other.md#absent", "#nowhere"]
