"""``analyze_website_v2``: the seeds' example flow, with handlers that do real local work.

    website ──┬──> sentiment ──┐
              └──> summary ────┴──> saveToDb

``website`` produces the page text for the run's URL (from a small built-in
corpus, or text assembled deterministically from the URL: no network),
``sentiment`` scores it against word lists, ``summary`` picks the sentences
with the most frequent content words, and ``saveToDb`` returns the record a
real flow would insert.  Every handler is a pure function of its input, so
runs are reproducible and the handlers can be unit-tested directly
(``sentiment({"url": u}, page)``).

Load it as ``pgflow.examples.analyze_website:AnalyzeWebsite``; start a run with
input ``{"url": "https://example.com/pgflow"}``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import TypedDict
from urllib.parse import urlsplit

from pgflow import Flow


class SiteInput(TypedDict):
    """The run input."""

    url: str


class Page(TypedDict):
    url: str
    title: str
    text: str


class Sentiment(TypedDict):
    label: str
    score: float
    positive: int
    negative: int


class Summary(TypedDict):
    title: str
    sentences: list[str]
    words: int


class Record(TypedDict):
    url: str
    title: str
    sentiment: str
    score: float
    summary: str


class SiteOutput(TypedDict):
    """The run output: an object of the leaf steps' outputs (here the one leaf)."""

    saveToDb: Record


AnalyzeWebsite = Flow[SiteInput, SiteOutput](
    "analyze_website_v2", max_attempts=3, base_delay=1, timeout=30
)

CORPUS: dict[str, tuple[str, str]] = {
    "example.com/pgflow": (
        "pgflow: workflows inside PostgreSQL",
        "Pgflow keeps every workflow inside PostgreSQL. The database decides what runs next, "
        "so there is no broker to operate and nothing to lose between systems. Workers are "
        "simple: they claim a task, run a handler and report the result. Retries use "
        "exponential backoff, and a failed step stops the run cleanly. Teams love how easy "
        "it is to inspect a run with plain SQL. The only slow part is a badly written "
        "handler, and that is easy to find.",
    ),
    "example.com/outage": (
        "Postmortem: the queue outage",
        "The old queue failed on Tuesday and the outage lasted four hours. Messages were "
        "lost, retries were broken, and the dashboard was wrong. Engineers spent the night "
        "on a painful manual recovery. The root cause was a bad configuration change that "
        "nobody reviewed. We will move the jobs into the database and add alerts.",
    ),
}

_FILLER = (
    "This page describes a small project.",
    "The team ships a new release every week.",
    "Users report that the setup is easy and the documentation is great.",
    "Some users find the error messages confusing.",
    "The benchmark shows a fast and stable system.",
    "A bug in the importer was fixed last month.",
    "The roadmap lists three new features.",
    "Support answers questions within a day.",
)

POSITIVE = frozenset(
    {
        "easy",
        "fast",
        "great",
        "good",
        "love",
        "stable",
        "clean",
        "simple",
        "reliable",
        "happy",
        "success",
        "better",
        "best",
    }
)
NEGATIVE = frozenset(
    {
        "bad",
        "broken",
        "failed",
        "lost",
        "painful",
        "slow",
        "wrong",
        "confusing",
        "outage",
        "bug",
        "error",
        "worse",
        "worst",
    }
)
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "every",
        "for",
        "from",
        "how",
        "in",
        "inside",
        "is",
        "it",
        "its",
        "no",
        "nothing",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "there",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "will",
        "with",
    }
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.!?])\s+", text) if part.strip()]


@AnalyzeWebsite.step()
def website(run: SiteInput) -> Page:
    """Fetch the page: from the corpus, or deterministic text derived from the URL."""
    url = run["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    key = parts.netloc + parts.path.rstrip("/")
    if key in CORPUS:
        title, text = CORPUS[key]
        return {"url": url, "title": title, "text": text}
    digest = hashlib.sha256(url.encode()).digest()
    chosen = [_FILLER[byte % len(_FILLER)] for byte in digest[:5]]
    return {"url": url, "title": f"Page at {parts.netloc}", "text": " ".join(chosen)}


@AnalyzeWebsite.step(website)
def sentiment(run: SiteInput, website: Page) -> Sentiment:
    """Score the text: (positive - negative) / (positive + negative)."""
    words = _words(website["text"])
    positive = sum(word in POSITIVE for word in words)
    negative = sum(word in NEGATIVE for word in words)
    total = positive + negative
    score = round((positive - negative) / total, 3) if total else 0.0
    label = "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"
    return {"label": label, "score": score, "positive": positive, "negative": negative}


@AnalyzeWebsite.step(website)
def summary(run: SiteInput, website: Page) -> Summary:
    """Pick the two sentences richest in the page's most frequent content words."""
    text = website["text"]
    sentences = _sentences(text)
    frequency = Counter(word for word in _words(text) if word not in STOPWORDS)

    def weight(sentence: str) -> float:
        words = [word for word in _words(sentence) if word not in STOPWORDS]
        return sum(frequency[word] for word in words) / (len(words) or 1)

    best = sorted(range(len(sentences)), key=lambda i: (-weight(sentences[i]), i))[:2]
    return {
        "title": website["title"],
        "sentences": [sentences[i] for i in sorted(best)],
        "words": len(_words(text)),
    }


@AnalyzeWebsite.step(sentiment, summary, slug="saveToDb")
def save_to_db(run: SiteInput, sentiment: Sentiment, summary: Summary) -> Record:
    """Build the row a real flow would insert (kept pure: the run output is the record)."""
    return {
        "url": run["url"],
        "title": summary["title"],
        "sentiment": sentiment["label"],
        "score": sentiment["score"],
        "summary": " ".join(summary["sentences"]),
    }
