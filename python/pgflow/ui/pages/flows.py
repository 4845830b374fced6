"""``/flows``: every deployed flow; ``/flows/{slug}``: its DAG, steps and start form."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pgflow.define.deploy import FlowComparison, compare_flow
from pgflow.ui import data
from pgflow.ui.app import UiContext, ui_context
from pgflow.ui.render import flow_graph

__all__ = ["changed_steps", "flow_page_context", "routes"]

_STEP_LINE = re.compile(r"^step '([^']+)'")


def changed_steps(comparison: FlowComparison | None) -> frozenset[str]:
    """Steps the code-versus-database comparison names."""
    if comparison is None:
        return frozenset()
    return frozenset(
        match.group(1)
        for line in comparison.differences
        if (match := _STEP_LINE.match(line)) is not None
    )


def _comparison(context: UiContext, flow_slug: str) -> FlowComparison | None:
    flow = context.flows.get(flow_slug)
    if flow is None:
        return None
    with context.pool.connection() as conn:
        return compare_flow(conn, flow)


def index(_request: Request) -> Response:
    return RedirectResponse("/flows", status_code=303)


def flows_page(request: Request) -> Response:
    context = ui_context(request)
    rows = data.list_flows(context.pool)
    comparisons = {slug: _comparison(context, slug) for slug in context.flows}
    deployed = {row.flow_slug for row in rows}
    return context.render(
        request,
        "flows.html",
        {
            "flows": rows,
            "comparisons": comparisons,
            "absent": sorted(slug for slug in context.flows if slug not in deployed),
        },
    )


def flow_page_context(
    context: UiContext, flow_slug: str, *, input_text: str = "{}", error: str | None = None
) -> dict[str, Any] | None:
    """What flow.html needs (also used to re-render the start form with an error)."""
    flows = {row.flow_slug: row for row in data.list_flows(context.pool)}
    flow = flows.get(flow_slug)
    if flow is None:
        return None
    steps = data.flow_steps(context.pool, flow_slug)
    comparison = _comparison(context, flow_slug)
    changed = changed_steps(comparison)
    runs = data.list_runs(
        context.pool, flow_slug=flow_slug, statuses=None, since_ago=None, limit=20
    )
    return {
        "flow": flow,
        "steps": steps,
        "graph": json.dumps(flow_graph(steps, changed=changed)),
        "comparison": comparison,
        "runs": runs,
        "input_text": input_text,
        "error": error,
        "steppable": context.stepper.can_step(flow_slug),
    }


def flow_page(request: Request) -> Response:
    context = ui_context(request)
    slug = request.path_params["flow_slug"]
    page = flow_page_context(context, slug)
    if page is None:
        return context.render(
            request,
            "error.html",
            {"title": "No such flow", "message": f"no flow {slug!r} is deployed"},
            404,
        )
    return context.render(request, "flow.html", page)


def routes() -> list[BaseRoute]:
    return [
        Route("/", index),
        Route("/flows", flows_page),
        Route("/flows/{flow_slug}", flow_page),
    ]
