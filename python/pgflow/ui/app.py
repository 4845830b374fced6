"""The ASGI application: options, shared state, security guard, error pages.

``create_app(UiOptions(...))`` returns a Starlette app; ``pgflow ui`` serves
it with uvicorn.  Pages are server-rendered (Jinja2, autoescaped); live
updates come over server-sent events (:mod:`pgflow.ui.pages.events`) from
the process's single LISTEN connection (:mod:`pgflow.ui.bridge`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jinja2
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from pgflow import queries
from pgflow.define.dsl import Flow
from pgflow.ui.bridge import Bridge
from pgflow.ui.render import render_json
from pgflow.ui.stepper import Stepper

__all__ = ["LOOPBACK_HOSTS", "UiContext", "UiOptions", "create_app", "ui_context"]

log = logging.getLogger("pgflow.ui")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class UiOptions:
    """How the playground runs (``pgflow ui --help`` documents each option)."""

    conninfo: str
    flows: Sequence[Flow[Any]] = ()
    """Flows given as FLOW_REF: compared with the database, and steppable."""
    read_only: bool = False
    host: str = "127.0.0.1"
    auth: tuple[str, str] | None = None
    """Basic-auth user and password (PGFLOW_UI_USER / PGFLOW_UI_PASSWORD)."""
    allowed_hosts: Sequence[str] | None = None
    """Host header values accepted (DNS-rebinding guard); default: the loopback
    names when bound to loopback, any host otherwise."""
    poll_interval: float = 0.2
    """The bridge's debounce window and fallback poll period, in seconds."""
    max_input_bytes: int = 1_048_576
    """Largest request body an action accepts (a run input, a form)."""
    pool_size: int = 8


@dataclass
class UiContext:
    """What every request handler shares; on ``app.state.ui``."""

    options: UiOptions
    pool: ConnectionPool[Any]
    bridge: Bridge
    stepper: Stepper
    templates: Jinja2Templates
    flows: dict[str, Flow[Any]] = field(default_factory=dict)

    def render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> HTMLResponse:
        context = {"read_only": self.options.read_only, "request": request, **context}
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)


def ui_context(request: Request) -> UiContext:
    context: UiContext = request.app.state.ui
    return context


# -- security -------------------------------------------------------------------------


class Guard:
    """Basic auth (when configured) and a same-origin check on every unsafe method.

    The playground is a local server that any page open in the same browser
    could send a form to: a POST must carry an Origin (or, failing that, a
    Referer) naming this server's own host, or it is refused with 403.
    """

    def __init__(self, app: ASGIApp, *, auth: tuple[str, str] | None) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if self.auth is not None and not self._authorized(headers.get("authorization", "")):
            response: Response = PlainTextResponse(
                "authentication required",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="pgflow ui", charset="UTF-8"'},
            )
            await response(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and not _same_origin(headers):
            response = PlainTextResponse(
                "cross-origin request refused: the Origin header must name this server",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: str) -> bool:
        assert self.auth is not None
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        ok_user = secrets.compare_digest(user.encode(), self.auth[0].encode())
        ok_password = secrets.compare_digest(password.encode(), self.auth[1].encode())
        return ok_user and ok_password


def _same_origin(headers: dict[str, str]) -> bool:
    host = headers.get("host", "")
    origin = headers.get("origin") or headers.get("referer")
    if not host or not origin or origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc == host


# -- error pages --------------------------------------------------------------------------


def _privilege_error(request: Request, error: Exception) -> Response:
    context = ui_context(request)
    role = "this role"
    with contextlib.suppress(Exception), context.pool.connection(timeout=2) as conn:
        row = conn.execute(queries.UI_CURRENT_ROLE).fetchone()
        if row is not None:
            role = f"role {row[0]!r}"
    message = (
        f"The database refused: {role} may not read or do this "
        f"({str(error).strip()}). Grant it pgflow_client to read flows and runs and "
        "start, cancel or retry them, pgflow_worker to step through a flow, or use "
        "--read-only with a role that can read."
    )
    return context.render(
        request, "error.html", {"title": "Permission denied", "message": message}, 403
    )


def _unavailable(request: Request, error: Exception) -> Response:
    message = f"The database cannot be reached: {str(error).strip()}"
    return ui_context(request).render(
        request, "error.html", {"title": "Database unavailable", "message": message}, 503
    )


def _stamp(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


# -- the app --------------------------------------------------------------------------------


def create_app(options: UiOptions) -> Starlette:
    """The playground as an ASGI app (the pool and the listener open at startup)."""
    from pgflow.ui.pages import actions, events, flows, runs

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pgflow.ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["json"] = render_json
    env.filters["short"] = lambda value, n=8: str(value)[:n]
    env.filters["stamp"] = _stamp
    templates = Jinja2Templates(env=env)

    pool: ConnectionPool[Any] = ConnectionPool(
        options.conninfo,
        min_size=1,
        max_size=options.pool_size,
        kwargs={"autocommit": True, "application_name": "pgflow-ui"},
        timeout=10.0,
        name="pgflow-ui",
        open=False,
    )
    bridge = Bridge(options.conninfo, interval=options.poll_interval)
    context = UiContext(
        options=options,
        pool=pool,
        bridge=bridge,
        stepper=Stepper(pool, options.flows),
        templates=templates,
        flows={flow.slug: flow for flow in options.flows},
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        pool.open(wait=False)
        bridge.start()
        try:
            yield
        finally:
            await bridge.stop()
            with contextlib.suppress(Exception):
                await run_in_threadpool(context.stepper.close)
            pool.close(timeout=5.0)

    static = StaticFiles(packages=[("pgflow.ui", "static")])
    routes = [
        *flows.routes(),
        *runs.routes(),
        *actions.routes(),
        *events.routes(),
        Mount("/static", app=static, name="static"),
    ]
    allowed = options.allowed_hosts
    if allowed is None:
        allowed = list(LOOPBACK_HOSTS) if options.host in LOOPBACK_HOSTS else ["*"]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed)),
            Middleware(Guard, auth=options.auth),
        ],
        exception_handlers={
            psycopg.errors.InsufficientPrivilege: _privilege_error,
            psycopg.OperationalError: _unavailable,
            PoolTimeout: _unavailable,
        },
    )
    app.state.ui = context
    return app
