"""Plain-text and JSON rendering of runs, flows and workers (the CLI and the demo).

Text shows times as ISO 8601 in UTC to the second (``2026-01-31T12:00:05Z``);
:func:`to_json` writes every timestamp as full ISO 8601 with its offset.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from pgflow.run.rows import RunDetails, RunSummary, StepState, WorkerInfo

__all__ = [
    "format_duration",
    "format_json",
    "format_relative",
    "format_run",
    "format_runs",
    "format_table",
    "format_time",
    "format_workers",
    "json_default",
    "to_json",
]


def format_time(moment: datetime | None) -> str:
    """``2026-01-31T12:00:05Z`` (UTC, whole seconds); ``-`` for None."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_relative(moment: datetime, now: datetime) -> str:
    """``in 29 s``, ``3 min 4 s ago``, ``now``: how far ``moment`` is from ``now``."""
    delta = moment - now
    seconds = delta.total_seconds()
    if abs(seconds) < 1:
        return "now"
    span = _coarse(abs(seconds))
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _coarse(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


def json_default(value: object) -> object:
    """``json.dumps`` ``default``: ISO 8601 times, seconds for spans, UUIDs as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, frozenset | set | tuple):
        return list(value)
    # UndecodableJson markers and anything else: their one-line description
    return str(value)


def to_json(value: Any) -> str:
    """A dataclass (or a list of them) as indented JSON, timestamps in ISO 8601."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    elif isinstance(value, list | tuple):
        value = [asdict(v) if is_dataclass(v) and not isinstance(v, type) else v for v in value]
    return json.dumps(value, default=json_default, indent=2, ensure_ascii=False)


def format_duration(span: timedelta | None) -> str:
    """``12 ms``, ``1.25 s``, ``3 min 4 s``; ``-`` for None."""
    if span is None:
        return "-"
    seconds = span.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def format_json(value: object, *, limit: int | None = 300) -> str:
    """Compact JSON, cut to ``limit`` characters (None: no limit)."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    if limit is not None and len(text) > limit:
        return text[: limit - 3] + "..."
    return text


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """Left-aligned columns separated by two spaces."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(headers), *rows]
    ]
    return "\n".join(lines)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _tasks_cell(details: RunDetails, step: StepState) -> str:
    tasks = details.tasks_of(step.step_slug)
    if not tasks:
        return "-" if step.initial_tasks is None else f"0/{step.initial_tasks}"
    done = sum(1 for t in tasks if t.status == "completed")
    return f"{done}/{len(tasks)}"


def _error_of(details: RunDetails, step: StepState) -> str:
    """The handler's error (a task's) when there is one: shorter than the step's."""
    failing = [t.error_message for t in details.tasks_of(step.step_slug) if t.error_message]
    if failing:
        return failing[-1]
    return step.error_message or ""


def _due_lines(details: RunDetails) -> list[str]:
    """One line per step whose next queued task waits for a time (delay or retry)."""
    lines = []
    for step in details.steps:
        due = details.due_at(step.step_slug)
        if due is None or details.read_at is None:
            continue
        waiting = [
            t
            for t in details.tasks_of(step.step_slug)
            if t.status == "queued" and t.visible_at is not None and t.visible_at > details.read_at
        ]
        retrying = [t for t in waiting if t.attempts_count > 0]
        if retrying:
            first = min(retrying, key=lambda t: t.visible_at or due)
            why = f"retry, attempt {first.attempts_count + 1} of {first.max_attempts}"
        else:
            why = "delayed"
        count = f", {len(waiting)} tasks" if len(waiting) > 1 else ""
        lines.append(
            f"    {step.step_slug}  {format_time(due)} ({format_relative(due, details.read_at)}; "
            f"{why}{count})"
        )
    return lines


def _attempt_lines(details: RunDetails, *, verbose: bool) -> list[str]:
    rows = []
    details_of: list[tuple[int, str]] = []
    for attempt in details.history:
        rows.append(
            [
                attempt.step_slug,
                str(attempt.task_index),
                str(attempt.attempt),
                attempt.outcome,
                "-" if attempt.worker_id is None else str(attempt.worker_id)[:8],
                format_time(attempt.claimed_at),
                format_duration(attempt.duration),
                _one_line(attempt.error_message or "", 60 if not verbose else 200),
            ]
        )
        if verbose and attempt.error_detail:
            details_of.append((len(rows) - 1, attempt.error_detail))
    table = format_table(
        ["STEP", "TASK", "ATTEMPT", "OUTCOME", "WORKER", "CLAIMED", "DURATION", "ERROR"],
        rows,
        indent="    ",
    ).splitlines()
    if not details_of:
        return table
    out = [table[0]]
    extra = dict(details_of)
    for index, line in enumerate(table[1:]):
        out.append(line)
        if index in extra:
            out.extend(f"      | {text}" for text in extra[index].rstrip().splitlines())
    return out


def format_run(
    details: RunDetails,
    *,
    show_input: bool = True,
    show_output: bool = True,
    json_limit: int | None = 300,
    show_attempts: bool = False,
    verbose: bool = False,
) -> str:
    """A run as a header line, a table of its steps and its input/output.

    With ``show_attempts``, also when waiting steps become due and every
    attempt with its outcome and error; ``verbose`` adds each failure's
    detail (the handler's traceback).
    """
    run = details.run
    header = (
        f"run {run.run_id}  flow {run.flow_slug}  {run.status}"
        f"  {format_duration(run.duration) if run.finished else 'running'}"
    )
    if run.retry_count:
        header += f"  retried {run.retry_count}x (last {format_time(run.retried_at)})"
    rows = []
    for step in details.steps:
        status: str = step.status
        if step.skip_reason:
            status = f"{status} ({step.skip_reason})"
        rows.append(
            [
                step.step_slug,
                step.step_type,
                status,
                _tasks_cell(details, step),
                str(details.attempts(step.step_slug)),
                format_duration(step.duration),
                _one_line(_error_of(details, step), 60),
            ]
        )
    table = format_table(
        ["STEP", "TYPE", "STATUS", "TASKS", "ATTEMPTS", "DURATION", "ERROR"], rows, indent="  "
    )
    parts = [header, table]
    if show_attempts:
        due = _due_lines(details)
        if due:
            parts.append("  due (queued tasks waiting for a time):")
            parts.extend(due)
        if details.history:
            parts.append("  attempts:")
            parts.extend(_attempt_lines(details, verbose=verbose))
    if show_input:
        parts.append(f"  input:  {format_json(run.input, limit=json_limit)}")
    if show_output and run.status == "completed":
        parts.append(f"  output: {format_json(run.output, limit=json_limit)}")
    if run.error_message:
        parts.append(f"  error:  {run.error_message}")
    else:
        failed = [s for s in details.steps if s.status == "failed" and s.error_message]
        parts.extend(f"  error:  {s.step_slug}: {s.error_message}" for s in failed)
    return "\n".join(parts)


def format_runs(runs: Sequence[RunSummary]) -> str:
    """The table of ``pgflow runs``."""
    rows = [
        [
            str(run.run_id),
            run.flow_slug,
            run.status,
            format_time(run.started_at),
            format_duration(run.duration),
            str(run.retry_count),
            _one_line(run.error_message or "", 60),
        ]
        for run in runs
    ]
    return format_table(["RUN", "FLOW", "STATUS", "STARTED", "DURATION", "RETRIES", "ERROR"], rows)


def format_workers(workers: Sequence[WorkerInfo], now: datetime | None = None) -> str:
    """The table of ``pgflow workers``; heartbeats relative to ``now`` when given."""
    rows = []
    for worker in workers:
        beat = format_time(worker.last_heartbeat_at)
        if now is not None:
            beat = f"{beat} ({format_relative(worker.last_heartbeat_at, now)})"
        serves = ", ".join(worker.steps) or ", ".join(worker.flow_slugs or []) or "every flow"
        rows.append(
            [
                str(worker.worker_id),
                worker.state,
                f"{worker.hostname or '-'}:{worker.pid if worker.pid is not None else '-'}",
                format_time(worker.started_at),
                beat,
                format_time(worker.stopped_at),
                serves,
            ]
        )
    return format_table(
        ["WORKER", "STATE", "HOST:PID", "STARTED", "LAST HEARTBEAT", "STOPPED", "SERVES"], rows
    )
