"""Optional OpenTelemetry tracing: one span per task execution.

When the ``opentelemetry-api`` package is installed (``pip install
'pgflow[otel]'``) the worker opens a span ``pgflow.task <flow>/<step>`` around
each handler call, current while the handler runs (spans the handler opens
are its children), with the attributes ``pgflow.run_id``,
``pgflow.flow_slug``, ``pgflow.step_slug``, ``pgflow.task_index``,
``pgflow.attempt``, ``pgflow.worker_id`` and, when it ends, ``pgflow.outcome``
(``completed``, ``failed``, or the reason the handler was told to stop:
``cancelled``, ``timed_out``, ``lost``).  A failure records the exception and
sets the span's status to error.  Without the package (or without an SDK
configured by the application) this costs nothing: the core has no telemetry
dependency.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol
from uuid import UUID

from pgflow.run.rows import ClaimedTask

__all__ = ["TaskSpan", "current_trace_context", "start_task_span"]


def _load(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _load_trace() -> Any:
    return _load("opentelemetry.trace")


_trace: Any = _load_trace()
_propagate: Any = _load("opentelemetry.propagate")


def current_trace_context() -> dict[str, str]:
    """The caller's trace context as W3C headers (``traceparent``, ``tracestate``),
    empty without OpenTelemetry or outside a span: what ``Client.start``
    stores with a run so its handlers' spans join the caller's trace."""
    if _propagate is None:
        return {}
    carrier: dict[str, str] = {}
    _propagate.inject(carrier)
    return carrier


class TaskSpan(Protocol):
    def activate(self) -> object: ...

    def deactivate(self, token: object) -> None: ...

    def end(self, outcome: str, error: BaseException | None) -> None: ...


class _NoSpan:
    def activate(self) -> object:
        return None

    def deactivate(self, token: object) -> None:
        return None

    def end(self, outcome: str, error: BaseException | None) -> None:
        return None


_NO_SPAN = _NoSpan()


class _OtelSpan:
    __slots__ = ("_span",)

    def __init__(self, span: Any) -> None:
        self._span = span

    def activate(self) -> object:
        scope = _trace.use_span(self._span, end_on_exit=False)
        scope.__enter__()
        return scope

    def deactivate(self, token: object) -> None:
        exit_scope: Any = getattr(token, "__exit__", None)
        if exit_scope is not None:
            exit_scope(None, None, None)

    def end(self, outcome: str, error: BaseException | None) -> None:
        span = self._span
        span.set_attribute("pgflow.outcome", outcome)
        if error is not None and outcome == "failed":
            span.record_exception(error)
            status = _trace.Status(_trace.StatusCode.ERROR, f"{type(error).__name__}: {error}")
            span.set_status(status)
        span.end()


def start_task_span(task: ClaimedTask, worker_id: UUID) -> TaskSpan:
    """A span for one execution of ``task`` (a no-op without OpenTelemetry)."""
    if _trace is None:
        return _NO_SPAN
    tracer = _trace.get_tracer("pgflow.worker")
    parent = None
    if task.trace_context and _propagate is not None:
        # the run's starter was tracing: this execution joins its trace
        parent = _propagate.extract(task.trace_context)
    span = tracer.start_span(
        f"pgflow.task {task.flow_slug}/{task.step_slug}",
        context=parent,
        kind=_trace.SpanKind.CONSUMER,
        attributes={
            "pgflow.run_id": str(task.run_id),
            "pgflow.flow_slug": task.flow_slug,
            "pgflow.step_slug": task.step_slug,
            "pgflow.task_index": task.task_index,
            "pgflow.attempt": task.attempt,
            "pgflow.worker_id": str(worker_id),
        },
    )
    return _OtelSpan(span)
