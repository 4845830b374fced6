"""The POST endpoints: start a run, cancel, retry / re-run from steps, step through.

Each calls pgflow's SQL functions (``start_flow``, ``cancel_run``,
``retry_run``) or the worker's claim/run/report path (:mod:`pgflow.ui.stepper`);
the rules are the database's.  With ``--read-only`` every one answers 403.
Bodies are form-encoded (plain HTML forms), capped at ``max_input_bytes``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pgflow import queries
from pgflow.errors import translate
from pgflow.payload.codec import CodecError, Payloads
from pgflow.run import calls
from pgflow.run.rows import Run, SecretInput, row_cursor
from pgflow.ui.app import UiContext, ui_context
from pgflow.ui.pages.flows import flow_page_context
from pgflow.ui.pages.runs import parse_run_id, run_context

__all__ = ["routes"]


class _TooLarge(Exception):
    pass


async def _form(request: Request, limit: int) -> dict[str, list[str]]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _refused(context: UiContext) -> Response | None:
    if context.options.read_only:
        return PlainTextResponse("read-only: actions are disabled", status_code=403)
    return None


def _too_large(context: UiContext) -> Response:
    return PlainTextResponse(
        f"request body over {context.options.max_input_bytes} bytes", status_code=413
    )


def _message(error: psycopg.Error) -> str:
    translated = translate(error)
    text = str(translated).strip()
    detail = getattr(translated, "detail", None)
    return f"{text} ({detail})" if detail else text


def _call_run(context: UiContext, query: Any, params: Mapping[str, object]) -> Run | None:
    with context.pool.connection() as conn, row_cursor(conn, Run) as cur:
        return cur.execute(query, params).fetchone()


def _start_call(context: UiContext, flow_slug: str, value: object) -> Run | None:
    """``start_flow`` through the clients' own start call, secrets sealed with ``PGFLOW_KEYS``."""
    payloads = Payloads.from_env()
    secrets = calls.SecretInputs(payloads)
    paths = secrets.known(flow_slug)
    if paths is None:
        lookup = secrets.lookup(flow_slug)
        with context.pool.connection() as conn, row_cursor(conn, SecretInput) as cur:
            paths = secrets.remember(flow_slug, cur.execute(lookup.sql, lookup.params).fetchone())
    call = calls.start(flow_slug, value, {}, payloads, paths)
    return _call_run(context, call.sql, call.params)


async def start_run(request: Request) -> Response:
    context = ui_context(request)
    refused = _refused(context)
    if refused is not None:
        return refused
    flow_slug = request.path_params["flow_slug"]
    try:
        form = await _form(request, context.options.max_input_bytes)
    except _TooLarge:
        return _too_large(context)
    text = (form.get("input") or ["{}"])[0]
    error: str | None = None
    value: Any = None
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as problem:
        error = f"not JSON: {problem.msg} at line {problem.lineno}, column {problem.colno}"
    run: Run | None = None
    if error is None:
        # the clients' own start call: a new start option cannot break the form
        try:
            run = await run_in_threadpool(_start_call, context, flow_slug, value)
        except psycopg.errors.InsufficientPrivilege:
            raise
        except psycopg.Error as problem:
            error = _message(problem)
        except CodecError as problem:
            error = str(problem)
    if run is not None:
        return RedirectResponse(f"/runs/{run.run_id}", status_code=303)
    page = await run_in_threadpool(
        flow_page_context, context, flow_slug, input_text=text, error=error
    )
    if page is None:
        return context.render(
            request,
            "error.html",
            {"title": "No such flow", "message": f"no flow {flow_slug!r} is deployed"},
            404,
        )
    return context.render(request, "flow.html", page, status_code=400)


async def _run_action(request: Request, action: str) -> Response:
    context = ui_context(request)
    refused = _refused(context)
    if refused is not None:
        return refused
    text = request.path_params["run_id"]
    run_id = parse_run_id(text)
    try:
        form = await _form(request, context.options.max_input_bytes)
    except _TooLarge:
        return _too_large(context)
    if run_id is None:
        return PlainTextResponse(f"no run {text!r}", status_code=404)
    error: str | None = None
    status = 400
    try:
        if action == "cancel":
            run = await run_in_threadpool(
                _call_run, context, queries.CANCEL_RUN, {"run_id": run_id}
            )
            if run is None:
                return PlainTextResponse(f"no run {text!r}", status_code=404)
        elif action == "retry":
            steps = [slug for slug in form.get("from_steps", []) if slug]
            await run_in_threadpool(
                _call_run,
                context,
                queries.RETRY_RUN,
                {"run_id": run_id, "from_steps": steps or None},
            )
        else:
            error = await run_in_threadpool(_step, context, run_id)
            status = 409
    except psycopg.errors.InsufficientPrivilege:
        raise
    except psycopg.Error as problem:
        translated = translate(problem)
        if type(translated).__name__ == "RunNotFoundError":
            return PlainTextResponse(f"no run {text!r}", status_code=404)
        error = _message(problem)
        status = 409
    if error is None:
        anchor = "#stepping" if action == "step" else ""
        return RedirectResponse(f"/runs/{run_id}{anchor}", status_code=303)
    page = await run_in_threadpool(run_context, context, run_id)
    if page is None:
        return PlainTextResponse(f"no run {text!r}", status_code=404)
    return context.render(request, "run.html", {**page, "error": error}, status_code=status)


def _step(context: UiContext, run_id: UUID) -> str | None:
    """Advance the run's flow by one task; an error message, or None when a task ran."""
    with context.pool.connection() as conn, row_cursor(conn, Run) as cur:
        run = cur.execute(queries.GET_RUN, {"run_id": run_id}).fetchone()
    if run is None:
        return f"no run {run_id}"
    if not context.stepper.can_step(run.flow_slug):
        return (
            f"flow {run.flow_slug!r} was not given as a FLOW_REF to `pgflow ui`: "
            "only those can be stepped (their handlers are loaded in this process)"
        )
    if run.status != "started":
        return f"the run is {run.status}: nothing to step"
    record = context.stepper.step(run.flow_slug)
    if record is None:
        return "no task of this flow is claimable now (see why each step waits below)"
    return None


async def cancel_run(request: Request) -> Response:
    return await _run_action(request, "cancel")


async def retry_run(request: Request) -> Response:
    return await _run_action(request, "retry")


async def step_run(request: Request) -> Response:
    return await _run_action(request, "step")


def routes() -> list[BaseRoute]:
    return [
        Route("/flows/{flow_slug}/start", start_run, methods=["POST"]),
        Route("/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
        Route("/runs/{run_id}/retry", retry_run, methods=["POST"]),
        Route("/runs/{run_id}/step", step_run, methods=["POST"]),
    ]
