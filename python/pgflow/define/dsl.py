"""The flow DSL: a flow is a slug, flow-wide options and steps added in order.

Steps are added one at a time, and each may only depend on steps added
before it.  That makes definition order a topological order (no cycle can be
written), and lets every mistake (unknown dependency, duplicate, reserved or
malformed slug, a map step with two dependencies) be reported on the line
that makes it, with the flow and step named.

Two spellings add a step::

    flow = Flow[Order]("orders_v1")

    @flow.step("validate")                    # decorator: returns the function as is
    def validate(input: ValidateInput) -> Valid: ...

    flow.step("notify", notify, depends_on=["validate"])   # call: returns the flow

The DSL only describes; the database decides ordering, retries and
completion.  Validation here mirrors the database's so errors come early, but
the database checks everything again.
"""

from __future__ import annotations

import difflib
import inspect
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Self, TypeAlias, TypedDict, TypeVar, overload

from pgflow.define.shape import FlowShape, StepShape
from pgflow.define.slugs import validate_flow_slug, validate_step_slug
from pgflow.errors import DefinitionError
from pgflow.jsonb import JsonObject, to_json_value
from pgflow.payload.paths import WHOLE, check_secret_paths, condition_secret_path
from pgflow.vocabulary import (
    DEFAULT_BASE_DELAY,
    DEFAULT_DELAY_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT,
    DEFAULT_WHEN_EXHAUSTED,
    DEFAULT_WHEN_UNMET,
    POLICIES,
    Policy,
    StepType,
)

if sys.version_info >= (3, 13):
    from typing import TypeVar as DefaultTypeVar
else:  # TypeVar defaults (PEP 696) arrived in 3.13
    from typing_extensions import TypeVar as DefaultTypeVar

__all__ = ["Flow", "Handler", "StepDefinition", "StepInput"]

Handler: TypeAlias = Callable[[Any], Any] | Callable[[Any], Awaitable[Any]]
"""A step handler: takes the task input, returns a JSON-serialisable output (or an awaitable)."""

RunT = DefaultTypeVar("RunT", default=Any)
"""The type of a flow's run input; ``Flow("x")`` without a parameter means ``Any``."""

_RunInput = TypeVar("_RunInput")
_H = TypeVar("_H", bound=Callable[[Any], Any])

INT4_MAX: Final = 2**31 - 1
"""Options are ``int`` columns in the database."""


class StepInput(TypedDict, Generic[_RunInput]):
    """Base for typing a step's input: ``{"run": <run input>, "<dep>": <dep output>, ...}``.

    Subclass it per step and add one key per dependency::

        class SummaryInput(StepInput[SiteInput]):
            website: Page

    A dependency that was skipped is absent from the input; declare such keys
    with ``NotRequired[...]``.
    """

    run: _RunInput


@dataclass(frozen=True, slots=True, kw_only=True)
class StepDefinition:
    """One step of a flow, as defined in code.

    Option fields left ``None`` inherit the flow's value in the database.
    """

    flow_slug: str
    slug: str
    index: int
    """Position in definition order (0-based)."""
    deps: tuple[str, ...]
    """Dependencies, as declared."""
    step_type: StepType
    handler: Handler | None
    is_async: bool
    """True when calling ``handler`` returns an awaitable."""
    max_attempts: int | None = None
    base_delay: int | None = None
    timeout: int | None = None
    delay_seconds: int = DEFAULT_DELAY_SECONDS
    run_if: JsonObject | None = None
    run_unless: JsonObject | None = None
    when_unmet: Policy = DEFAULT_WHEN_UNMET
    when_exhausted: Policy = DEFAULT_WHEN_EXHAUSTED
    execution_timeout: int | None = None
    """Seconds one attempt may run in all before it fails (None: no limit)."""
    secret_output: tuple[str, ...] = ()
    """Paths into the output the worker seals (``"$"``: all of it); see :mod:`pgflow.payload`."""
    max_output_bytes: int | None = None
    """The largest output the database accepts (None: the flow's); operational."""

    @property
    def is_map(self) -> bool:
        """True for a map step (one task per array element)."""
        return self.step_type == "map"

    def shape(self) -> StepShape:
        """This step's part of the flow shape (handler excluded)."""
        return StepShape(
            step_slug=self.slug,
            step_type=self.step_type,
            deps=self.deps,
            max_attempts=self.max_attempts,
            base_delay=self.base_delay,
            timeout=self.timeout,
            delay_seconds=self.delay_seconds,
            run_if=self.run_if,
            run_unless=self.run_unless,
            when_unmet=self.when_unmet,
            when_exhausted=self.when_exhausted,
            execution_timeout=self.execution_timeout,
            secret_output=self.secret_output,
            max_output_bytes=self.max_output_bytes,
        )


def _is_async(handler: object) -> bool:
    """True for ``async def`` functions, partials of them and objects with ``async __call__``."""
    if inspect.iscoroutinefunction(handler):
        return True
    if inspect.isroutine(handler) or inspect.isclass(handler):
        return False
    return inspect.iscoroutinefunction(getattr(handler, "__call__", None))  # noqa: B004


class Flow(Generic[RunT]):
    """A flow definition: a slug, flow-wide options and steps in definition order.

    ``RunT`` is the type of the run input (``Flow[OrderInput]("orders")``); it
    types the ``run`` key of step inputs and lets a client check ``start()``
    arguments.  Flow options: ``max_attempts`` (>= 1), ``base_delay`` seconds
    (>= 0, doubled per retry) and ``timeout`` seconds (>= 1, the task lease).
    """

    __slots__ = (
        "_base_delay",
        "_by_slug",
        "_max_attempts",
        "_max_output_bytes",
        "_secret_input",
        "_slug",
        "_steps",
        "_timeout",
    )

    def __init__(
        self,
        slug: str,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        base_delay: int = DEFAULT_BASE_DELAY,
        timeout: int = DEFAULT_TIMEOUT,
        secret_input: Sequence[str] = (),
        max_output_bytes: int | None = None,
    ) -> None:
        self._slug = validate_flow_slug(slug)
        where = f"flow {slug!r}"
        self._max_attempts = _int_option(where, "max_attempts", max_attempts, minimum=1)
        self._base_delay = _int_option(where, "base_delay", base_delay, minimum=0)
        self._timeout = _int_option(where, "timeout", timeout, minimum=1)
        # paths into the run input the client seals (see pgflow.payload)
        self._secret_input = check_secret_paths(where, "secret_input", secret_input)
        self._max_output_bytes = _optional_int(
            where, "max_output_bytes", max_output_bytes, minimum=1
        )
        self._steps: list[StepDefinition] = []
        self._by_slug: dict[str, StepDefinition] = {}

    # -- read-only view -----------------------------------------------------

    @property
    def slug(self) -> str:
        """The flow slug (its identity in the database)."""
        return self._slug

    @property
    def max_attempts(self) -> int:
        return self._max_attempts

    @property
    def base_delay(self) -> int:
        return self._base_delay

    @property
    def timeout(self) -> int:
        return self._timeout

    @property
    def secret_input(self) -> tuple[str, ...]:
        """Paths into the run input that the client seals before the database sees them."""
        return self._secret_input

    @property
    def steps(self) -> tuple[StepDefinition, ...]:
        """Steps in definition order, which is a topological order."""
        return tuple(self._steps)

    def get_step(self, slug: str) -> StepDefinition:
        """The step named ``slug``; raises :class:`DefinitionError` naming the flow if absent."""
        step = self._by_slug.get(slug)
        if step is None:
            raise DefinitionError(f"flow {self._slug!r} has no step {slug!r}{self._suggest(slug)}")
        return step

    def __getitem__(self, slug: str) -> StepDefinition:
        return self.get_step(slug)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    def __iter__(self) -> Iterator[StepDefinition]:
        return iter(tuple(self._steps))

    def __len__(self) -> int:
        return len(self._steps)

    def __repr__(self) -> str:
        return f"Flow({self._slug!r}, steps={len(self._steps)})"

    def shape(self) -> FlowShape:
        """The canonical shape (what the database stores); see :mod:`pgflow.define.shape`."""
        return FlowShape(
            flow_slug=self._slug,
            max_attempts=self._max_attempts,
            base_delay=self._base_delay,
            timeout=self._timeout,
            steps=tuple(step.shape() for step in self._steps),
            secret_input=self._secret_input,
            max_output_bytes=self._max_output_bytes,
        )

    # -- adding steps -------------------------------------------------------

    @overload
    def step(
        self,
        slug: str,
        handler: None = None,
        *,
        depends_on: str | Sequence[str] = (),
        map: bool = False,
        max_attempts: int | None = None,
        base_delay: int | None = None,
        timeout: int | None = None,
        delay_seconds: int = DEFAULT_DELAY_SECONDS,
        run_if: Mapping[str, object] | None = None,
        run_unless: Mapping[str, object] | None = None,
        when_unmet: Policy = DEFAULT_WHEN_UNMET,
        when_exhausted: Policy = DEFAULT_WHEN_EXHAUSTED,
        execution_timeout: int | None = None,
        secret_output: bool | Sequence[str] = False,
        max_output_bytes: int | None = None,
    ) -> Callable[[_H], _H]: ...

    @overload
    def step(
        self,
        slug: str,
        handler: Handler,
        *,
        depends_on: str | Sequence[str] = (),
        map: bool = False,
        max_attempts: int | None = None,
        base_delay: int | None = None,
        timeout: int | None = None,
        delay_seconds: int = DEFAULT_DELAY_SECONDS,
        run_if: Mapping[str, object] | None = None,
        run_unless: Mapping[str, object] | None = None,
        when_unmet: Policy = DEFAULT_WHEN_UNMET,
        when_exhausted: Policy = DEFAULT_WHEN_EXHAUSTED,
        execution_timeout: int | None = None,
        secret_output: bool | Sequence[str] = False,
        max_output_bytes: int | None = None,
    ) -> Self: ...

    def step(
        self,
        slug: str,
        handler: Handler | None = None,
        *,
        depends_on: str | Sequence[str] = (),
        map: bool = False,
        max_attempts: int | None = None,
        base_delay: int | None = None,
        timeout: int | None = None,
        delay_seconds: int = DEFAULT_DELAY_SECONDS,
        run_if: Mapping[str, object] | None = None,
        run_unless: Mapping[str, object] | None = None,
        when_unmet: Policy = DEFAULT_WHEN_UNMET,
        when_exhausted: Policy = DEFAULT_WHEN_EXHAUSTED,
        execution_timeout: int | None = None,
        secret_output: bool | Sequence[str] = False,
        max_output_bytes: int | None = None,
    ) -> Self | Callable[[_H], _H]:
        """Add a step: with ``handler`` returns the flow (chaining); without, a decorator.

        ``depends_on`` names steps added earlier.  ``map=True`` makes a map
        step: one task per element of its single dependency's output (or of
        the run input for a root map step); the handler receives the element.
        ``run_if``/``run_unless`` are JSON objects matched by containment
        against the step input; ``when_unmet`` says what an unmet condition
        does and ``when_exhausted`` what exhausted retries do (``"fail"``,
        ``"skip"`` or ``"skip-cascade"``).  ``delay_seconds`` delays the
        step's tasks after it becomes ready.  ``max_attempts``, ``base_delay``
        and ``timeout`` left ``None`` inherit the flow's.  ``timeout`` is a
        heartbeat timeout: a running worker extends its lease, so it bounds how
        long a dead worker keeps a task, not how long a handler may run.
        ``execution_timeout`` (seconds, default: no limit) bounds one attempt's
        total run time; an attempt that overruns fails and retries.
        ``secret_output`` (True, or paths into the output) is sealed by the
        worker before the database sees it; ``max_output_bytes`` bounds one
        task output (default: the flow's, else 16 MiB).
        """
        options: dict[str, Any] = {
            "depends_on": depends_on,
            "map": map,
            "max_attempts": max_attempts,
            "base_delay": base_delay,
            "timeout": timeout,
            "delay_seconds": delay_seconds,
            "run_if": run_if,
            "run_unless": run_unless,
            "when_unmet": when_unmet,
            "when_exhausted": when_exhausted,
            "execution_timeout": execution_timeout,
            "secret_output": secret_output,
            "max_output_bytes": max_output_bytes,
        }
        if handler is not None:
            self._append(self._build(slug, handler, **options))
            return self
        # Check everything now, so a mistake points at the decorator line even
        # if the decorated function is never reached; register on decoration.
        self._build(slug, None, **options)

        def decorator(function: _H) -> _H:
            self._append(self._build(slug, function, **options))
            return function

        return decorator

    def add_step(
        self,
        slug: str,
        handler: Handler | None = None,
        *,
        depends_on: str | Sequence[str] = (),
        map: bool = False,
        max_attempts: int | None = None,
        base_delay: int | None = None,
        timeout: int | None = None,
        delay_seconds: int = DEFAULT_DELAY_SECONDS,
        run_if: Mapping[str, object] | None = None,
        run_unless: Mapping[str, object] | None = None,
        when_unmet: Policy = DEFAULT_WHEN_UNMET,
        when_exhausted: Policy = DEFAULT_WHEN_EXHAUSTED,
        execution_timeout: int | None = None,
        secret_output: bool | Sequence[str] = False,
        max_output_bytes: int | None = None,
    ) -> Self:
        """Add a step, handler optional, and return the flow.

        For flows built programmatically or compiled without handlers (for
        example when the worker is written in another language).  Options are
        those of :meth:`step`.
        """
        self._append(
            self._build(
                slug,
                handler,
                depends_on=depends_on,
                map=map,
                max_attempts=max_attempts,
                base_delay=base_delay,
                timeout=timeout,
                delay_seconds=delay_seconds,
                run_if=run_if,
                run_unless=run_unless,
                when_unmet=when_unmet,
                when_exhausted=when_exhausted,
                execution_timeout=execution_timeout,
                secret_output=secret_output,
                max_output_bytes=max_output_bytes,
            )
        )
        return self

    # -- validation ---------------------------------------------------------

    def _append(self, step: StepDefinition) -> None:
        if step.slug in self._by_slug:  # a decorator applied twice, or raced
            raise DefinitionError(f"flow {self._slug!r}: step {step.slug!r} is already defined")
        self._steps.append(step)
        self._by_slug[step.slug] = step

    def _suggest(self, slug: str) -> str:
        close = difflib.get_close_matches(slug, list(self._by_slug), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    def _build(
        self,
        slug: str,
        handler: Handler | None,
        *,
        depends_on: str | Sequence[str],
        map: bool,
        max_attempts: int | None,
        base_delay: int | None,
        timeout: int | None,
        delay_seconds: int,
        run_if: Mapping[str, object] | None,
        run_unless: Mapping[str, object] | None,
        when_unmet: Policy,
        when_exhausted: Policy,
        execution_timeout: int | None = None,
        secret_output: bool | Sequence[str] = False,
        max_output_bytes: int | None = None,
    ) -> StepDefinition:
        step_slug = validate_step_slug(self._slug, slug)
        where = f"flow {self._slug!r}, step {step_slug!r}"
        if step_slug in self._by_slug:
            raise DefinitionError(f"flow {self._slug!r}: step {step_slug!r} is already defined")
        deps = self._check_deps(where, step_slug, depends_on)
        if not isinstance(map, bool):
            raise DefinitionError(f"{where}: map must be True or False, not {map!r}")
        if map and len(deps) > 1:
            raise DefinitionError(
                f"{where}: a map step maps over one array, so it can have at most one "
                f"dependency (got {len(deps)}: {', '.join(deps)})"
            )
        if handler is not None:
            _check_handler(where, handler)
        secret_paths = _secret_output(where, secret_output)
        run_if_object = _condition(where, "run_if", run_if)
        run_unless_object = _condition(where, "run_unless", run_unless)
        self._check_conditions(where, deps, run_if_object, run_unless_object)
        return StepDefinition(
            flow_slug=self._slug,
            slug=step_slug,
            index=len(self._steps),
            deps=deps,
            step_type="map" if map else "single",
            handler=handler,
            is_async=handler is not None and _is_async(handler),
            max_attempts=_optional_int(where, "max_attempts", max_attempts, minimum=1),
            base_delay=_optional_int(where, "base_delay", base_delay, minimum=0),
            timeout=_optional_int(where, "timeout", timeout, minimum=1),
            delay_seconds=_int_option(where, "delay_seconds", delay_seconds, minimum=0),
            run_if=run_if_object,
            run_unless=run_unless_object,
            when_unmet=_policy(where, "when_unmet", when_unmet),
            when_exhausted=_policy(where, "when_exhausted", when_exhausted),
            execution_timeout=_optional_int(
                where, "execution_timeout", execution_timeout, minimum=1
            ),
            secret_output=secret_paths,
            max_output_bytes=_optional_int(where, "max_output_bytes", max_output_bytes, minimum=1),
        )

    def _check_conditions(
        self,
        where: str,
        deps: tuple[str, ...],
        run_if: JsonObject | None,
        run_unless: JsonObject | None,
    ) -> None:
        """A condition must not read a secret path: the database holds only its ciphertext."""
        if run_if is None and run_unless is None:
            return
        secrets = [path_in("run", path) for path in self._secret_input]
        for dep in deps:
            secrets += [path_in(dep, path) for path in self._by_slug[dep].secret_output]
        read = condition_secret_path(run_if, secrets) or condition_secret_path(run_unless, secrets)
        if read is not None:
            raise DefinitionError(
                f"{where}: the condition reads the secret path {read!r}; the database holds "
                "secrets only sealed, so test a value that is not secret"
            )

    def _check_deps(
        self, where: str, step_slug: str, depends_on: str | Sequence[str]
    ) -> tuple[str, ...]:
        if isinstance(depends_on, str):
            depends_on = (depends_on,)
        elif not isinstance(depends_on, Sequence):
            raise DefinitionError(
                f"{where}: depends_on must be a list of step slugs, not {type(depends_on).__name__}"
            )
        seen: set[str] = set()
        for dep in depends_on:
            if not isinstance(dep, str):
                raise DefinitionError(
                    f"{where}: dependencies are step slugs (strings), not {dep!r}"
                )
            if dep == step_slug:
                raise DefinitionError(f"{where}: a step cannot depend on itself")
            if dep in seen:
                raise DefinitionError(f"{where}: dependency {dep!r} is listed twice")
            if dep not in self._by_slug:
                raise DefinitionError(
                    f"{where}: unknown dependency {dep!r}{self._suggest(dep)}; "
                    "a step can only depend on steps added before it"
                )
            seen.add(dep)
        return tuple(depends_on)


def _check_handler(where: str, handler: object) -> None:
    if not callable(handler):
        raise DefinitionError(f"{where}: the handler must be callable, not {handler!r}")
    try:
        signature = inspect.signature(handler)
    except (TypeError, ValueError):  # some builtins have no signature: trust them
        return
    try:
        signature.bind(object())
    except TypeError:
        raise DefinitionError(
            f"{where}: the handler must accept exactly one positional argument "
            f"(the task input); its signature is {signature}"
        ) from None


def _secret_output(where: str, value: object) -> tuple[str, ...]:
    if value is True:
        return (WHOLE,)
    if value is False or value is None:
        return ()
    if not isinstance(value, Sequence):
        raise DefinitionError(
            f"{where}: secret_output must be True or a list of paths, not {value!r}"
        )
    return check_secret_paths(where, "secret_output", value)


def path_in(root: str, path: str) -> str:
    """A secret path of the run input or a dependency's output as a path into the step input."""
    return root if path == WHOLE else f"{root}.{path}"


def _int_option(where: str, name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(f"{where}: {name} must be an integer, not {value!r}")
    if not minimum <= value <= INT4_MAX:
        raise DefinitionError(
            f"{where}: {name} must be between {minimum} and {INT4_MAX}, not {value}"
        )
    return int(value)


def _optional_int(where: str, name: str, value: object, *, minimum: int) -> int | None:
    if value is None:
        return None
    return _int_option(where, name, value, minimum=minimum)


def _condition(where: str, name: str, value: object) -> JsonObject | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise DefinitionError(
            f"{where}: {name} must be a JSON object (a mapping) matched against the step "
            f"input, not {type(value).__name__}"
        )
    result = to_json_value(value, where=f"{where}, {name}")
    assert isinstance(result, dict)
    return result


def _policy(where: str, name: str, value: object) -> Policy:
    for policy in POLICIES:
        if value == policy and isinstance(value, str):
            return policy
    choices = ", ".join(repr(policy) for policy in POLICIES)
    raise DefinitionError(f"{where}: {name} must be one of {choices}, not {value!r}")
