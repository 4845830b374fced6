"""``/runs``: the filtered, live list; ``/runs/{id}``: one run, coloured live.

``/runs/rows`` and ``/runs/{id}/live`` return what changes (the list's rows;
the run's step statuses and its live sections as HTML) for the pages' script
to swap in when the event stream says something moved.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pgflow.run.rows import StepTask
from pgflow.ui import data
from pgflow.ui.app import UiContext, ui_context
from pgflow.ui.render import flow_graph, timeline, waiting_reasons

__all__ = ["SINCE_CHOICES", "STATUSES", "parse_run_id", "routes", "run_context"]

STATUSES = ("started", "completed", "failed", "cancelled")
SINCE_CHOICES = {"5m": "5 minutes", "1h": "1 hour", "24h": "24 hours", "7d": "7 days"}
LIST_LIMIT = 200
TASKS_SHOWN_PER_STEP = 50
ATTEMPTS_SHOWN = 200


def parse_run_id(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _filters(request: Request) -> dict[str, Any]:
    flow = request.query_params.get("flow") or None
    status = request.query_params.get("status") or None
    since = request.query_params.get("since") or None
    return {
        "flow": flow,
        "status": status if status in STATUSES else None,
        "since": since if since in SINCE_CHOICES else None,
    }


def _rows(context: UiContext, filters: dict[str, Any]) -> list[Any]:
    return data.list_runs(
        context.pool,
        flow_slug=filters["flow"],
        statuses=[filters["status"]] if filters["status"] else None,
        since_ago=SINCE_CHOICES[filters["since"]] if filters["since"] else None,
        limit=LIST_LIMIT,
    )


def runs_page(request: Request) -> Response:
    context = ui_context(request)
    filters = _filters(request)
    return context.render(
        request,
        "runs.html",
        {
            "runs": _rows(context, filters),
            "filters": filters,
            "flows": [row.flow_slug for row in data.list_flows(context.pool)],
            "statuses": STATUSES,
            "since_choices": SINCE_CHOICES,
            "query": request.url.query,
        },
    )


def runs_rows(request: Request) -> Response:
    context = ui_context(request)
    return context.render(request, "runs_rows.html", {"runs": _rows(context, _filters(request))})


def run_context(context: UiContext, run_id: UUID) -> dict[str, Any] | None:
    page = data.read_run(context.pool, run_id)
    if page is None:
        return None
    states = {step.step_slug: step for step in page.steps}
    tasks_by_step: dict[str, list[StepTask]] = {}
    for task in page.tasks:
        tasks_by_step.setdefault(task.step_slug, []).append(task)
    rows = []
    for step in page.flow_steps:
        state = states.get(step.step_slug)
        tasks = tasks_by_step.get(step.step_slug, [])
        rows.append(
            {
                "step": step,
                "state": state,
                "tasks": tasks[:TASKS_SHOWN_PER_STEP],
                "task_count": len(tasks),
                "done": sum(1 for task in tasks if task.status == "completed"),
                "waiting": (
                    waiting_reasons(
                        state,
                        step.deps,
                        states,
                        tasks,
                        page.now,
                        delay_seconds=step.delay_seconds,
                        limits=page.limits,
                    )
                    if state is not None
                    else []
                ),
            }
        )
    flow_known = bool(page.flow_steps)
    attempts = [a for a in page.attempts if a.outcome != "completed" or a.task_index < 20]
    return {
        "run": page.run,
        "rows": rows,
        "statuses": {step.step_slug: step.status for step in page.steps},
        "graph": json.dumps(flow_graph(page.flow_steps)) if flow_known else "null",
        "attempts": attempts[:ATTEMPTS_SHOWN],
        "attempts_total": len(page.attempts),
        "timeline": timeline(page.tasks, page.now),
        "task_total": len(page.tasks),
        "records": list(reversed(context.stepper.records.get(run_id, []))),
        "steppable": context.stepper.can_step(page.run.flow_slug) and page.run.status == "started",
        "step_slugs": [step.step_slug for step in page.flow_steps],
        "now": page.now,
    }


def _no_run(context: UiContext, request: Request, text: str) -> Response:
    return context.render(
        request, "error.html", {"title": "No such run", "message": f"no run {text!r}"}, 404
    )


def run_page(request: Request) -> Response:
    context = ui_context(request)
    text = request.path_params["run_id"]
    run_id = parse_run_id(text)
    page = run_context(context, run_id) if run_id is not None else None
    if page is None:
        return _no_run(context, request, text)
    return context.render(request, "run.html", {**page, "error": None})


def run_live(request: Request) -> Response:
    context = ui_context(request)
    text = request.path_params["run_id"]
    run_id = parse_run_id(text)
    page = run_context(context, run_id) if run_id is not None else None
    if page is None:
        return JSONResponse({"error": f"no run {text!r}"}, status_code=404)
    html = context.templates.get_template("run_live.html").render(
        {**page, "read_only": context.options.read_only, "request": request}
    )
    return JSONResponse(
        {"status": page["run"].status, "steps": page["statuses"], "html": html},
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/runs", runs_page),
        Route("/runs/rows", runs_rows),
        Route("/runs/{run_id}", run_page),
        Route("/runs/{run_id}/live", run_live),
    ]
