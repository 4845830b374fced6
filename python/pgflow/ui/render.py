"""Presentation helpers: JSON as collapsible HTML, the DAG as nodes and edges,
why a step waits, and the task timeline.

Pure functions over rows the pages read; nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from pgflow.jsonb import UndecodableJson
from pgflow.run.rows import StepState, StepTask
from pgflow.ui.data import LimitUse

__all__ = [
    "COLLAPSE_CHARS",
    "SECRET_KEY",
    "TimelineBar",
    "flow_graph",
    "held_back_by_limit",
    "is_secret",
    "render_json",
    "timeline",
    "waiting_reasons",
]

SECRET_KEY = "$pgflow"
"""An object with this key is an envelope (an encrypted value): never shown, only badged."""

COLLAPSE_CHARS = 400
"""A value whose JSON text is longer than this starts collapsed."""

MAX_STRING_CHARS = 2000
"""Longer strings are cut in the page (the full value stays in the database)."""

MAX_ITEMS = 200
"""At most this many items of one array or object are shown."""


def is_secret(value: object) -> bool:
    return isinstance(value, dict) and SECRET_KEY in value


def _size(value: object) -> int:
    try:
        return len(json.dumps(value, default=str))
    except (TypeError, ValueError, RecursionError):
        return COLLAPSE_CHARS + 1


def render_json(value: object, *, depth: int = 0) -> Markup:
    """``value`` as indented HTML: long values collapsed, secrets as a badge."""
    if isinstance(value, UndecodableJson):
        return Markup('<span class="j-bad">{}</span>').format(str(value))
    if is_secret(value):
        return Markup('<span class="badge secret" title="encrypted value">secret</span>')
    if isinstance(value, dict):
        if not value:
            return Markup('<span class="j-p">{}</span>')
        items = list(value.items())
        inner = Markup("").join(
            Markup('<div class="j-i"><span class="j-k">{}</span>: {}</div>').format(
                json.dumps(str(key)), render_json(item, depth=depth + 1)
            )
            for key, item in items[:MAX_ITEMS]
        )
        inner += _more(len(items))
        return _wrap("{", "}", f"{len(items)} keys", inner, value, depth)
    if isinstance(value, list):
        if not value:
            return Markup('<span class="j-p">[]</span>')
        inner = Markup("").join(
            Markup('<div class="j-i">{}</div>').format(render_json(item, depth=depth + 1))
            for item in value[:MAX_ITEMS]
        )
        inner += _more(len(value))
        return _wrap("[", "]", f"{len(value)} items", inner, value, depth)
    if isinstance(value, str):
        text = value if len(value) <= MAX_STRING_CHARS else value[:MAX_STRING_CHARS]
        cut = (
            Markup('<span class="j-cut">… {} more characters</span>').format(
                len(value) - MAX_STRING_CHARS
            )
            if len(value) > MAX_STRING_CHARS
            else Markup("")
        )
        return Markup('<span class="j-s">{}</span>{}').format(json.dumps(text), cut)
    if value is None:
        return Markup('<span class="j-p">null</span>')
    if isinstance(value, bool):
        return Markup('<span class="j-p">{}</span>').format("true" if value else "false")
    if isinstance(value, int | float | Decimal):
        return Markup('<span class="j-n">{}</span>').format(str(value))
    return Markup('<span class="j-s">{}</span>').format(str(value))


def _more(count: int) -> Markup:
    if count <= MAX_ITEMS:
        return Markup("")
    return Markup('<div class="j-cut">… {} more not shown</div>').format(count - MAX_ITEMS)


def _wrap(open_: str, close: str, summary: str, inner: Markup, value: object, depth: int) -> Markup:
    collapsed = depth > 0 and _size(value) > COLLAPSE_CHARS
    return Markup(
        '<details class="j"{}><summary>{}<span class="j-sum"> {} </span></summary>'
        '<div class="j-body">{}</div>{}</details>'
    ).format(Markup("") if collapsed else Markup(" open"), open_, summary, inner, close)


# -- the DAG -------------------------------------------------------------------


def flow_graph(steps: Sequence[Any], *, changed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Nodes and edges for dag.js: one node per step, one edge per dependency.

    ``steps`` are :class:`pgflow.ui.data.FlowStep` rows; ``changed`` names steps
    the code-versus-database comparison found different (highlighted).
    """
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for step in steps:
        badges: list[str] = []
        if step.step_type == "map":
            badges.append("map")
        if step.run_if is not None:
            badges.append("if " + json.dumps(step.run_if, default=str, separators=(",", ":")))
        if step.run_unless is not None:
            badges.append(
                "unless " + json.dumps(step.run_unless, default=str, separators=(",", ":"))
            )
        if step.delay_seconds:
            badges.append(f"delay {step.delay_seconds}s")
        declared = step.options if isinstance(step.options, dict) else {}
        for name, label in (
            ("max_attempts", "attempts"),
            ("base_delay", "backoff"),
            ("timeout", "timeout"),
        ):
            if declared.get(name) is not None:
                unit = "" if name == "max_attempts" else "s"
                badges.append(f"{label} {declared[name]}{unit}")
        if step.execution_timeout is not None:
            badges.append(f"max run {step.execution_timeout}s")
        nodes.append(
            {
                "id": step.step_slug,
                "type": step.step_type,
                "badges": badges,
                "changed": step.step_slug in changed,
            }
        )
        edges.extend({"from": dep, "to": step.step_slug} for dep in step.deps)
    return {"nodes": nodes, "edges": edges}


# -- why a step waits ------------------------------------------------------------


def held_back_by_limit(
    step: StepState, tasks: Sequence[StepTask], now: datetime, limits: Sequence[LimitUse]
) -> str | None:
    """Why the step's ready tasks are held back by its flow control, or None.

    ``limits`` are the step's buckets with queued tasks (``ui_limit_use``): a
    bucket whose concurrency is used up, or whose rate window is full, holds
    its tasks back until a task ends or the window moves on.
    """
    if not any(
        t.status == "queued" and (t.visible_at is None or t.visible_at <= now) for t in tasks
    ):
        return None
    full: list[str] = []
    for use in limits:
        if use.step_slug != step.step_slug:
            continue
        key = f" for key {use.bucket}" if use.bucket else ""
        if use.concurrency is not None and use.in_flight >= use.concurrency:
            full.append(f"concurrency {use.in_flight} of {use.concurrency} running{key}")
        if use.rate_limit is not None and use.recent_starts >= use.rate_limit:
            full.append(
                f"rate limit {use.recent_starts} of {use.rate_limit} starts in the last "
                f"{use.rate_period}s{key}"
            )
    if not full:
        return None
    shown = "; ".join(full[:3]) + (f"; … and {len(full) - 3} more" if len(full) > 3 else "")
    return f"held back by flow control: {shown}"


def _when(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    stamp = moment.strftime("%H:%M:%S")
    if seconds <= 0:
        return f"{stamp} (due now)"
    return f"{stamp} (in {seconds:.0f}s)" if seconds >= 1 else f"{stamp} (in {seconds:.1f}s)"


def waiting_reasons(
    step: StepState,
    deps: Sequence[str],
    states: dict[str, StepState],
    tasks: Sequence[StepTask],
    now: datetime,
    *,
    delay_seconds: int = 0,
    limits: Sequence[LimitUse] = (),
) -> list[str]:
    """Sentences that explain why an unfinished step is not done yet (empty when finished)."""
    if step.status in ("completed", "failed", "skipped", "cancelled"):
        return []
    reasons: list[str] = []
    if step.status == "created":
        pending = [dep for dep in deps if dep in states and states[dep].status != "completed"]
        if pending:
            reasons.append(
                "waits for " + ", ".join(f"{dep} ({states[dep].status})" for dep in pending)
            )
        elif not deps:
            reasons.append("not started yet")
        return reasons
    limit = held_back_by_limit(step, tasks, now, limits)
    if limit is not None:
        reasons.append(limit)
    queued = [task for task in tasks if task.status == "queued"]
    running = [task for task in tasks if task.status == "started"]
    delayed = [t for t in queued if t.attempts_count == 0 and t.visible_at and t.visible_at > now]
    retrying = [t for t in queued if t.attempts_count > 0]
    ready = [t for t in queued if t.visible_at is None or t.visible_at <= now]
    if delayed:
        first = min(t.visible_at for t in delayed if t.visible_at is not None)
        reasons.append(
            f"delayed ({delay_seconds}s after ready): {len(delayed)} task(s) due at "
            + _when(first, now)
        )
    for task in retrying[:5]:
        if task.visible_at is not None:
            reasons.append(
                f"task {task.task_index}: attempt {task.attempts_count} of {task.max_attempts} "
                f"failed ({task.error_message or 'no message'}); retry due at "
                + _when(task.visible_at, now)
            )
    if len(retrying) > 5:
        reasons.append(f"… and {len(retrying) - 5} more tasks waiting to retry")
    if ready:
        reasons.append(f"{len(ready)} task(s) ready, waiting for a worker to claim them")
    if running:
        lease = min(t.visible_at for t in running if t.visible_at is not None)
        reasons.append(
            f"{len(running)} task(s) running; the earliest lease ends at " + _when(lease, now)
        )
    return reasons


# -- the timeline -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineBar:
    label: str
    status: str
    queued_left: float
    """Percent of the timeline's width."""
    wait_width: float
    run_left: float
    run_width: float
    title: str


def timeline(tasks: Sequence[StepTask], now: datetime, *, limit: int = 200) -> list[TimelineBar]:
    """One bar per task (the first ``limit``): queued → claimed → finished."""
    shown = list(tasks[:limit])
    starts = [t.queued_at for t in shown if t.queued_at is not None]
    if not starts:
        return []
    origin = min(starts)
    ends = [t.completed_at or t.failed_at or t.cancelled_at or now for t in shown if t.queued_at]
    span = max((max(ends) - origin).total_seconds(), 0.001)

    def pct(moment: datetime) -> float:
        return round(100.0 * max(0.0, (moment - origin).total_seconds()) / span, 3)

    bars = []
    for task in shown:
        if task.queued_at is None:
            continue
        end = task.completed_at or task.failed_at or task.cancelled_at or now
        claimed = task.started_at or end
        queued_left = pct(task.queued_at)
        run_left = pct(claimed)
        label = task.step_slug if task.task_index == 0 else f"{task.step_slug}[{task.task_index}]"
        title = (
            f"{label}: queued {task.queued_at:%H:%M:%S.%f}"[:-3]
            + (f", claimed {task.started_at:%H:%M:%S}" if task.started_at else "")
            + f", {task.status}, attempts {task.attempts_count}/{task.max_attempts}"
        )
        bars.append(
            TimelineBar(
                label=label,
                status=task.status,
                queued_left=queued_left,
                wait_width=max(0.0, run_left - queued_left),
                run_left=run_left,
                run_width=max(0.5, pct(end) - run_left) if task.started_at else 0.0,
                title=title,
            )
        )
    return bars
