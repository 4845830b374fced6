"""Runs step handlers: sync ones on daemon threads, async ones on one event loop.

The executor knows nothing about the database.  It calls the handler with
the task input spread into arguments (``(run, *dependency outputs)``, or
the element for a map step: :mod:`pgflow.define.handlers`), encodes the
output as JSON text (so a value jsonb would refuse, or one over the
worker's ``max_output_bytes``, fails the task with a clear message instead
of failing the report), and hands an :class:`Outcome` to a callback.  A
task whose input Python could not decode fails at once without calling the
handler.  It counts handlers in flight so the claim loop asks for exactly
the free slots.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import queue
import re
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from pgflow.define.dsl import StepDefinition
from pgflow.define.models import to_jsonable
from pgflow.jsonb import JsonValue
from pgflow.payload.codec import CodecContext, Payloads
from pgflow.payload.redact import Redactor
from pgflow.run.rows import ClaimedTask
from pgflow.run.tracing import TaskSpan, start_task_span
from pgflow.run.worker.context import StopReason, TaskContext, reset_current, set_current

__all__ = [
    "HandlerExecutor",
    "InputError",
    "Outcome",
    "OutputError",
    "OutputTooLarge",
    "encode_output",
    "format_error",
]

log = logging.getLogger("pgflow.worker")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one handler call, waiting to be reported."""

    task: ClaimedTask
    output_json: str | None
    """The output as JSON text when the handler succeeded."""
    error: str | None
    """``"ExceptionType: message"`` when it failed."""
    traceback: str | None
    seconds: float
    """Handler wall time."""
    stop_reason: StopReason | None = None
    """Set when the worker had told the handler to stop: its attempt is over in
    the database, so the outcome is not reported as a failure."""

    @property
    def ok(self) -> bool:
        return self.error is None


def format_error(error: BaseException, max_length: int, redactor: Redactor | None = None) -> str:
    """``"TypeName: message"``, secrets redacted, cut to ``max_length`` characters."""
    message = str(error).strip()
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    if redactor:
        text = redactor.redact(text) or ""
    text = text.replace("\x00", "\\x00")
    if len(text) > max_length:
        marker = " [truncated]"
        text = text[: max(0, max_length - len(marker))] + marker
    return text


class OutputError(TypeError):
    """A handler returned something jsonb cannot store."""


class OutputTooLarge(OutputError):
    """A handler's output is over the worker's ``max_output_bytes``."""


class InputError(ValueError):
    """The task's input could not be decoded, so its handler was not called."""


_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
"""``\\u0000`` after an even number of backslashes: a U+0000 in the JSON text,
not a string holding a backslash followed by ``u0000``."""


def encode_output(value: object, max_bytes: int | None = None) -> str:
    """The handler's return value as JSON text.

    Raises :class:`OutputError` if jsonb would refuse it, and
    :class:`OutputTooLarge` if its UTF-8 text is over ``max_bytes``.
    """
    try:
        text = json.dumps(
            value, allow_nan=False, ensure_ascii=False, separators=(",", ":"), default=to_jsonable
        )
    except (TypeError, ValueError) as error:
        raise OutputError(f"the handler's return value is not JSON: {error}") from None
    except RecursionError:
        raise OutputError(
            "the handler's return value is nested deeper than the JSON encoder allows"
        ) from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise OutputError("the handler's return value contains U+0000, which jsonb cannot store")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise OutputError(
            f"the handler's return value is not valid Unicode ({error.reason})"
        ) from None
    if max_bytes is not None and size > max_bytes:
        raise OutputTooLarge(
            f"the handler's output is {size} bytes, over the worker's limit of {max_bytes}"
            " (--max-output-bytes)"
        )
    return text


def _redacted(text: str, redactor: Redactor | None) -> str:
    return (redactor.redact(text) or "") if redactor else text


class RedactedError(Exception):
    """Stands for a handler's exception, secrets redacted, where the original may not go."""


def _output_value(step: StepDefinition, result: object) -> object:
    """The handler's result, validated against its pydantic return type when it has one."""
    return result if step.binding is None else step.binding.output_json(result)


class _ThreadPool:
    """Daemon threads started on demand, up to ``size``.

    Daemon threads, unlike ``concurrent.futures``', do not keep the process
    alive at exit: a handler stuck past the grace period is left to lease
    expiry instead of blocking shutdown forever.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._idle == 0 and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._serve,
                    name=f"pgflow-handler-{len(self._threads) + 1}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1
        self._jobs.put(job)

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            finally:
                with self._lock:
                    self._idle += 1

    def shutdown(self) -> None:
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)


class _LoopThread:
    """One asyncio event loop on a daemon thread, for async handlers."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="pgflow-async", daemon=True
        )
        self._thread.start()

    def submit(self, coroutine: Awaitable[None]) -> None:
        async def run() -> None:
            await coroutine

        asyncio.run_coroutine_threadsafe(run(), self._loop)

    def run_until_done(self, awaitable: Awaitable[Any]) -> Any:
        """Await ``awaitable`` on the loop from another thread and return its result."""

        async def run() -> Any:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()

    def stop(self, *, wait: bool) -> None:
        """Stop the loop; with ``wait``, join its thread and close it."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        if wait:
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()


class HandlerExecutor:
    """Calls handlers and reports each :class:`Outcome` through ``on_done``.

    ``on_slot_free`` is called after a handler's slot is released (the claim
    loop uses it to claim again at once when more work is waiting).
    """

    def __init__(
        self,
        *,
        worker_id: UUID,
        concurrency: int,
        max_error_length: int,
        on_done: Callable[[Outcome], None],
        on_slot_free: Callable[[], None] = lambda: None,
        on_started: Callable[[ClaimedTask, TaskContext], None] = lambda _task, _context: None,
        max_output_bytes: int | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self._worker_id = worker_id
        self._payloads = payloads if payloads is not None else Payloads()
        self._concurrency = concurrency
        self._max_error_length = max_error_length
        self._max_output_bytes = max_output_bytes
        self._on_done = on_done
        self._on_slot_free = on_slot_free
        self._on_started = on_started
        self._threads = _ThreadPool(concurrency)
        self._loop: _LoopThread | None = None
        self._loop_lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition()

    @property
    def in_flight(self) -> int:
        """Handlers started and not finished."""
        with self._idle:
            return self._in_flight

    @property
    def free_slots(self) -> int:
        with self._idle:
            return max(0, self._concurrency - self._in_flight)

    def wait_idle(self, timeout: float | None) -> bool:
        """Wait until no handler runs; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def submit(self, task: ClaimedTask, step: StepDefinition | None) -> None:
        """Start the task's handler; ``step`` None means this worker cannot run it."""
        with self._idle:
            self._in_flight += 1
        context = TaskContext(
            worker_id=self._worker_id,
            run_id=task.run_id,
            flow_slug=task.flow_slug,
            step_slug=task.step_slug,
            task_index=task.task_index,
            attempt=task.attempt,
            lease_expires_at=task.lease_expires_at,
        )
        input_error = task.input_error
        if input_error is not None:
            self._finish(task, time.monotonic(), error=InputError(input_error))
        elif step is None or step.handler is None:
            what = "step" if step is None else "handler"
            self._finish(
                task,
                time.monotonic(),
                error=LookupError(
                    f"this worker has no {what} for {task.flow_slug}/{task.step_slug}"
                ),
            )
        elif step.is_async:
            self._on_started(task, context)
            self._event_loop().submit(self._run_async(task, step, context))
        else:
            self._on_started(task, context)
            self._threads.submit(lambda: self._run_sync(task, step, context))

    def shutdown(self, *, wait: bool) -> None:
        """Stop the threads and the loop (running handlers are not interrupted)."""
        self._threads.shutdown()
        with self._loop_lock:
            if self._loop is not None:
                self._loop.stop(wait=wait)

    # -- running ----------------------------------------------------------

    def _event_loop(self) -> _LoopThread:
        with self._loop_lock:
            if self._loop is None:
                self._loop = _LoopThread()
            return self._loop

    def _run_sync(self, task: ClaimedTask, step: StepDefinition, context: TaskContext) -> None:
        started = time.monotonic()
        token = set_current(context)
        span = start_task_span(task, self._worker_id)
        scope = span.activate()
        redactor = Redactor()
        try:
            result = self._call(task, step, redactor)
            if inspect.isawaitable(result):
                result = self._event_loop().run_until_done(result)
            output = self._output_json(task, step, result, redactor)
        except BaseException as error:
            self._finish(task, started, error=error, context=context, span=span, redactor=redactor)
        else:
            self._finish(task, started, output=output, context=context, span=span)
        finally:
            span.deactivate(scope)
            reset_current(token)

    async def _run_async(
        self, task: ClaimedTask, step: StepDefinition, context: TaskContext
    ) -> None:
        started = time.monotonic()
        token = set_current(context)
        running = asyncio.current_task()
        if running is not None:
            context.attach_async(asyncio.get_running_loop(), running)
        span = start_task_span(task, self._worker_id)
        scope = span.activate()
        redactor = Redactor()
        try:
            result = self._call(task, step, redactor)
            if inspect.isawaitable(result):
                result = await result
            output = self._output_json(task, step, result, redactor)
        except BaseException as error:
            # CancelledError included: a handler told to stop ends here, and
            # its outcome carries the stop reason (not reported as a failure)
            self._finish(task, started, error=error, context=context, span=span, redactor=redactor)
        else:
            self._finish(task, started, output=output, context=context, span=span)
        finally:
            span.deactivate(scope)
            reset_current(token)

    def _call(self, task: ClaimedTask, step: StepDefinition, redactor: Redactor) -> object:
        """Call the handler with the task input opened (an awaitable for an async handler)."""
        assert step.handler is not None
        return step.handler(*step.arguments(self._open_input(task, redactor)))

    def _output_json(
        self, task: ClaimedTask, step: StepDefinition, result: object, redactor: Redactor
    ) -> str:
        """The handler's result as stored: validated, secret paths sealed, bounded JSON text."""
        value = self._seal_output(task, step, _output_value(step, result), redactor)
        return encode_output(value, self._max_output_bytes)

    def _open_input(self, task: ClaimedTask, redactor: Redactor) -> Any:
        """The task input with every envelope opened; what was sealed is remembered as secret.

        Without a codec for an envelope of pgflow's own kinds this raises, so
        the task fails with a clear error instead of a handler seeing ciphertext.
        """
        return self._payloads.open(
            cast(JsonValue, task.input),
            CodecContext(task.flow_slug, task.step_slug, "input"),
            reveal=redactor.add,
        )

    def _seal_output(
        self, task: ClaimedTask, step: StepDefinition, result: object, redactor: Redactor
    ) -> object:
        """The handler's result, secret paths sealed and the outputs codec applied."""
        if not step.secret_output and self._payloads.outputs is None:
            return result
        return self._payloads.seal_output(
            task.flow_slug,
            task.step_slug,
            step.secret_output,
            cast(JsonValue, result),
            redactor.add,
        )

    def _finish(
        self,
        task: ClaimedTask,
        started: float,
        *,
        output: str | None = None,
        error: BaseException | None = None,
        context: TaskContext | None = None,
        span: TaskSpan | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        seconds = time.monotonic() - started
        stop_reason = context.stop_reason if context is not None else None
        if span is not None:
            # a trace exporter must not carry the task's secrets either
            traced = error
            if error is not None and redactor:
                traced = RedactedError(format_error(error, self._max_error_length, redactor))
            try:
                span.end(stop_reason or ("failed" if error is not None else "completed"), traced)
            except Exception:  # pragma: no cover - telemetry must never fail a task
                log.exception("could not end the trace span of %s", task.key)
        if error is not None:
            outcome = Outcome(
                task=task,
                output_json=None,
                # the task's secrets never reach the database or a log line
                error=format_error(error, self._max_error_length, redactor),
                traceback=_redacted("".join(traceback.format_exception(error)), redactor),
                seconds=seconds,
                stop_reason=stop_reason,
            )
        else:
            outcome = Outcome(
                task=task,
                output_json=output,
                error=None,
                traceback=None,
                seconds=seconds,
                stop_reason=stop_reason,
            )
        try:
            self._on_done(outcome)
        except Exception:  # pragma: no cover - the reporter never raises
            log.exception("could not queue the result of %s", task.key)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
            self._on_slot_free()
