"""Plain-text rendering of runs: the step table of ``pgflow status`` and the demo."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

from pgflow.runs import JsonValue, RunDetails, StepState

__all__ = ["format_duration", "format_json", "format_run", "format_table"]


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


def format_json(value: JsonValue, *, limit: int | None = 300) -> str:
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


def format_run(
    details: RunDetails,
    *,
    show_input: bool = True,
    show_output: bool = True,
    json_limit: int | None = 300,
) -> str:
    """A run as a header line, a table of its steps and its input/output."""
    run = details.run
    header = (
        f"run {run.run_id}  flow {run.flow_slug}  {run.status}"
        f"  {format_duration(run.duration) if run.finished else 'running'}"
    )
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
