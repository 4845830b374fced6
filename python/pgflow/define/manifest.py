"""Human- and machine-readable views of a flow: the manifest and a text DAG.

``pgflow inspect`` prints these so a reviewer can see a flow's shape (steps,
dependencies, options, map steps and conditions, hash) without reading the
code that builds it, and compare two versions at a glance.
"""

from __future__ import annotations

from typing import Any

from pgflow.define.dsl import Flow
from pgflow.define.shape import FlowShape, StepShape
from pgflow.jsonb import JsonObject, jsonb_text
from pgflow.vocabulary import DEFAULT_WHEN_EXHAUSTED, DEFAULT_WHEN_UNMET, FLOW_DEFAULTS

__all__ = ["manifest", "render_dag", "render_manifest", "step_levels"]


def _handler_name(flow: Flow[Any], slug: str) -> str | None:
    handler = flow.get_step(slug).handler
    if handler is None:
        return None
    module = getattr(handler, "__module__", None) or ""
    name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    if module.startswith("_pgflow_flows_"):  # a file loaded by FLOW_REF: hide the alias
        module = ""
    return f"{module}.{name}" if module else name


def step_levels(shape: FlowShape) -> dict[str, int]:
    """Each step's depth: 0 for roots, else 1 + the deepest dependency."""
    levels: dict[str, int] = {}
    for step in shape.steps:  # definition order is topological
        levels[step.step_slug] = 1 + max((levels[dep] for dep in step.deps), default=-1)
    return levels


def manifest(flow: Flow[Any]) -> JsonObject:
    """The flow as a JSON object: shape fields, hash, levels and handler names."""
    shape = flow.shape()
    levels = step_levels(shape)
    steps: list[Any] = []
    for step in shape.steps:
        entry: dict[str, Any] = {"index": flow.get_step(step.step_slug).index}
        entry.update(step.document())
        entry["deps"] = list(step.deps)
        entry["level"] = levels[step.step_slug]
        entry["handler"] = _handler_name(flow, step.step_slug)
        steps.append(entry)
    return {
        "flow_slug": shape.flow_slug,
        "shape_hash": shape.hash(),
        "max_attempts": shape.max_attempts,
        "base_delay": shape.base_delay,
        "timeout": shape.timeout,
        "steps": steps,
    }


def _options(step: StepShape) -> str:
    parts = [
        f"{name}={value}" for name in FLOW_DEFAULTS if (value := getattr(step, name)) is not None
    ]
    if step.delay_seconds:
        parts.append(f"delay_seconds={step.delay_seconds}")
    if step.run_if is not None:
        parts.append(f"run_if={jsonb_text(step.run_if)}")
    if step.run_unless is not None:
        parts.append(f"run_unless={jsonb_text(step.run_unless)}")
    if (
        step.run_if is not None or step.run_unless is not None
    ) or step.when_unmet != DEFAULT_WHEN_UNMET:
        parts.append(f"when_unmet={step.when_unmet}")
    if step.when_exhausted != DEFAULT_WHEN_EXHAUSTED:
        parts.append(f"when_exhausted={step.when_exhausted}")
    return " ".join(parts)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def render_manifest(flow: Flow[Any]) -> str:
    """The manifest as text: flow options, hash, and one line per step."""
    shape = flow.shape()
    rows = [["#", "step", "type", "depends on", "handler", "options and conditions"]]
    for index, step in enumerate(shape.steps):
        rows.append(
            [
                str(index),
                step.step_slug,
                step.step_type,
                ", ".join(step.deps) or "-",
                _handler_name(flow, step.step_slug) or "-",
                _options(step),
            ]
        )
    lines = [
        f"flow {shape.flow_slug}",
        f"  shape hash  {shape.hash()}",
        f"  options     max_attempts={shape.max_attempts} base_delay={shape.base_delay} "
        f"timeout={shape.timeout}",
        f"  steps       {len(shape.steps)}",
        "",
        "steps (definition order; options left out inherit the flow's):",
        *_table(rows),
    ]
    return "\n".join(lines) + "\n"


def render_dag(shape: FlowShape) -> str:
    """The DAG as text, one step per line, grouped by level (roots first)."""
    levels = step_levels(shape)
    if not levels:
        return "dag: (no steps)\n"
    width = max(len(slug) for slug in levels)
    lines = ["dag (level  step  <- dependencies):"]
    previous = -1
    ordered = sorted(shape.steps, key=lambda step: levels[step.step_slug])  # stable
    for step in ordered:
        level = levels[step.step_slug]
        label = f"{level:>5}" if level != previous else " " * 5
        previous = level
        marks = " [map]" if step.step_type == "map" else ""
        if step.run_if is not None or step.run_unless is not None:
            marks += " [conditional]"
        deps = f" <- {', '.join(step.deps)}" if step.deps else ""
        lines.append(f"  {label}  {step.step_slug.ljust(width)}{deps}{marks}".rstrip())
    return "\n".join(lines) + "\n"
