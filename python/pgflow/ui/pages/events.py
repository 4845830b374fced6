"""``/events``: server-sent events from the process's one LISTEN bridge.

``/events?run=ID`` receives only changes that concern that run (or its flow,
or everything after a listener reconnect); ``/events`` receives all of them
(the runs list).  Each event is a hint: ``data`` says what moved, and the
page reads the state again.  A comment line every 15 s keeps proxies from
closing an idle stream.  A plain ``StreamingResponse`` is enough: one event
type, no client-sent ids to replay (the page re-reads state on reconnect).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from pgflow.ui.app import ui_context
from pgflow.ui.pages.runs import parse_run_id

__all__ = ["KEEPALIVE_SECONDS", "routes"]

KEEPALIVE_SECONDS = 15.0


async def events(request: Request) -> Response:
    context = ui_context(request)
    bridge = context.bridge
    run_text = request.query_params.get("run")
    run_id: UUID | None = None
    if run_text:
        run_id = parse_run_id(run_text)
        if run_id is None:
            return Response(f"no run {run_text!r}", status_code=404, media_type="text/plain")
    flow_slug = request.query_params.get("flow") or None

    async def stream() -> AsyncIterator[str]:
        subscriber = bridge.subscribe(run_id)
        try:
            yield "retry: 2000\n: connected\n\n"
            while not bridge.closed.is_set():
                try:
                    change = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if bridge.closed.is_set():
                    break
                if change.concerns(run_id, flow_slug):
                    yield f"event: change\ndata: {change.to_json()}\n\n"
        finally:
            bridge.unsubscribe(subscriber)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def routes() -> list[BaseRoute]:
    return [Route("/events", events)]
