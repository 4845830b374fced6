"""The flow DSL: a flow is a slug, flow-wide options and steps added in order.

Dependencies are the handles earlier decorators returned, and a handler takes
the run input and each dependency's output as parameters, in that order, so
mypy checks every edge::

    flow = Flow[SiteInput]("analyze_website_v2", timeout=30)

    @flow.step()
    def website(run: SiteInput) -> Page: ...

    @flow.step(website)
    def sentiment(run: SiteInput, website: Page) -> Sentiment: ...

    @flow.step(sentiment, summary, slug="saveToDb")
    def save(run: SiteInput, sentiment: Sentiment, summary: Summary) -> Record: ...

    @flow.map(split)                      # one task per element of split's output
    def count(paragraph: str) -> int: ...

The slug defaults to the function's name.  Each decorator returns a
:class:`~pgflow.define.steps.HandlerStep`, still callable as the function
(``sentiment(run, page)``).  :meth:`Flow.add_step` adds a step by slug, with
or without a handler (a step served by a worker in another language, or a
flow built by a program); its handler is called the same way.

Steps may only depend on steps added before them.  That makes definition
order a topological order (no cycle can be written), and lets every mistake
(unknown dependency, duplicate, reserved or malformed slug, a map step with
two dependencies, a handler whose parameters do not match its dependencies)
be reported on the line that makes it, with the flow and step named.

The task input on the wire does not depend on the spelling: it is
``{"run": <run input>, "<dep>": <dep output>, ...}`` and the worker spreads it
into the handler's arguments (:mod:`pgflow.define.handlers`).  The DSL only
describes; the database decides ordering, retries and completion.
"""

from __future__ import annotations

import difflib
import inspect
import sys
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    TypeAlias,
    TypedDict,
    TypeVar,
    Unpack,
    overload,
)

from pgflow.define.handlers import Binding, bind_handler
from pgflow.define.limits import StepLimits, step_limits
from pgflow.define.shape import FlowShape, StepShape
from pgflow.define.signatures import (
    Decorate0,
    Decorate1,
    Decorate2,
    Decorate3,
    Decorate4,
    Decorate5,
    Decorate6,
    DecorateMany,
    DecorateMap,
)
from pgflow.define.slugs import validate_flow_slug, validate_step_slug
from pgflow.define.steps import HandlerStep, Step
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

if TYPE_CHECKING:
    from pgflow.run.calls import StartOptions

if sys.version_info >= (3, 13):
    from typing import TypeVar as DefaultTypeVar
else:  # TypeVar defaults (PEP 696) arrived in 3.13
    from typing_extensions import TypeVar as DefaultTypeVar

__all__ = ["Flow", "Handler", "HandlerStep", "Step", "StepDefinition", "StepOptions"]

Handler: TypeAlias = Callable[..., Any] | Callable[..., Awaitable[Any]]
"""A step handler: ``(run, *dependency outputs)``, or ``(element)`` for a map step."""

RunT = DefaultTypeVar("RunT", default=Any)
"""The type of a flow's run input; ``Flow("x")`` without a parameter means ``Any``."""

OutT = DefaultTypeVar("OutT", default=Any)
"""The type of a flow's run output (an object of its leaf steps' outputs); ``Any`` if not given."""

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
F = TypeVar("F")
ElemT = TypeVar("ElemT")

INT4_MAX: Final = 2**31 - 1
"""Options are ``int`` columns in the database."""


class StepOptions(TypedDict, total=False):
    """Per-step options: the keywords of :meth:`Flow.step`, :meth:`Flow.map`, :meth:`Flow.add_step`.

    The one list of step options: adding one is a key here, a check in
    ``_OPTION_CHECKS`` and a field of :class:`StepDefinition` (and of
    :class:`~pgflow.define.shape.StepShape` when it is part of the shape).
    """

    max_attempts: int | None
    """Attempts before the step fails (>= 1); None inherits the flow's."""
    base_delay: int | None
    """Seconds before the first retry, doubled per attempt (>= 0); None inherits."""
    timeout: int | None
    """Lease seconds, renewed while the handler runs (a heartbeat timeout); None inherits."""
    delay_seconds: int
    """Seconds the step's tasks wait after it becomes ready (default 0)."""
    run_if: Mapping[str, object] | None
    """A JSON object the step input must contain (jsonb ``@>``), else the step is unmet."""
    run_unless: Mapping[str, object] | None
    """A JSON object the step input must not contain, else the step is unmet."""
    when_unmet: Policy
    """If unmet: ``"skip"`` (default, dependents get None), ``"skip-cascade"``, ``"fail"``."""
    when_exhausted: Policy
    """Exhausted: ``"fail"`` (default), ``"skip"`` (dependents get None), ``"skip-cascade"``."""
    execution_timeout: int | None
    """Seconds one attempt may run in all before it fails (None: no limit)."""
    concurrency: int | None
    """Most tasks of the step started at once, across all workers (flow control)."""
    concurrency_key: str | Sequence[str] | None
    """A path into the task input (``("run", "tenant_id")`` or ``"run.tenant_id"``):
    the limits then apply per value (docs/flow-control.md)."""
    rate_limit: int | None
    """Most task starts per ``rate_period`` seconds (a sliding window)."""
    rate_period: int | None
    """The rate limit's window, in seconds."""
    secret_output: bool | Sequence[str]
    """True, or paths into the output, that the worker seals before the database sees
    them (:mod:`pgflow.payload`); part of the shape."""
    max_output_bytes: int | None
    """The largest task output the database accepts (None: the flow's, else 16 MiB);
    operational, not shape."""


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
    """Dependencies, in the order the handler receives them."""
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
    limits: StepLimits | None = None
    """Flow control (concurrency, key, rate limit): operations, not part of the shape."""
    secret_output: tuple[str, ...] = ()
    """Paths into the output the worker seals (``"$"``: all of it); see :mod:`pgflow.payload`."""
    max_output_bytes: int | None = None
    """The largest output the database accepts (None: the flow's); operational."""
    binding: Binding | None = field(default=None, compare=False, repr=False)
    """How the worker calls ``handler`` (None without a handler)."""

    @property
    def is_map(self) -> bool:
        """True for a map step (one task per array element)."""
        return self.step_type == "map"

    @property
    def skippable(self) -> str | None:
        """Why this step's dependents may run without its output (None: they never do).

        A step is skipped with dependents still running when a condition is
        unmet under ``when_unmet="skip"``, or its retries run out under
        ``when_exhausted="skip"``; ``"skip-cascade"`` skips the dependents too.
        """
        if (self.run_if is not None or self.run_unless is not None) and self.when_unmet == "skip":
            which = "run_if" if self.run_if is not None else "run_unless"
            return f"step {self.slug!r} has {which} and when_unmet='skip'"
        if self.when_exhausted == "skip":
            return f"step {self.slug!r} has when_exhausted='skip'"
        return None

    def arguments(self, task_input: object) -> tuple[object, ...]:
        """The handler's arguments for one task input (see :mod:`pgflow.define.handlers`)."""
        if self.binding is None:
            return (task_input,)
        return self.binding.arguments_for(task_input)

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


class _Decorator:
    """``flow.step(...)`` and ``flow.map(...)`` return at run time (typed in :mod:`.signatures`)."""

    __slots__ = ("_deps", "_flow", "_is_map", "_options", "_slug")

    def __init__(
        self,
        flow: Flow[Any, Any],
        deps: tuple[str, ...],
        slug: str | None,
        is_map: bool,
        options: dict[str, Any],
    ) -> None:
        self._flow = flow
        self._deps = deps
        self._slug = slug
        self._is_map = is_map
        self._options = options

    def __call__(self, handler: Any, /) -> Any:
        slug = self._slug
        if slug is None:
            slug = getattr(handler, "__name__", None)
            if not isinstance(slug, str) or not slug.isidentifier():
                raise DefinitionError(
                    f"flow {self._flow.slug!r}: cannot take a step slug from {handler!r}; "
                    "pass slug='...'"
                )
        definition = self._flow._add(slug, handler, self._deps, self._is_map, self._options)
        return HandlerStep(self._flow, definition.slug, handler)


class Flow(Generic[RunT, OutT]):
    """A flow definition: a slug, flow-wide options and steps in definition order.

    ``RunT`` is the type of the run input (``Flow[OrderInput]("orders")``):
    every handler's first parameter, and what :meth:`Client.start
    <pgflow.run.client.Client.start>` accepts.  ``OutT``, optional, is the
    type of the run output (``Flow[OrderInput, OrderOutput]``): an object of
    the leaf steps' outputs, declared by you (mypy cannot derive it), which
    ``RunHandle.result()`` returns.  Flow options: ``max_attempts`` (>= 1),
    ``base_delay`` seconds (>= 0, doubled per retry) and ``timeout`` seconds
    (>= 1, the task lease).
    """

    __slots__ = (
        "__orig_class__",
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
    def run_type(self) -> object:
        """The run input type given as ``Flow[RunType](...)`` (``Any`` when none was)."""
        return self._type_argument(0)

    @property
    def output_type(self) -> object:
        """The run output type given as ``Flow[RunType, OutputType](...)`` (else ``Any``)."""
        return self._type_argument(1)

    def start_signature(self, input: RunT, /, **options: Unpack[StartOptions]) -> OutT:
        """For type checkers only: what ``client.start(flow, ...)`` accepts and returns.

        ``Client.start`` binds its parameters from this signature (the run
        input type and :class:`~pgflow.run.calls.StartOptions`) and its result
        type from the return type.  Calling it raises :class:`TypeError`.
        """
        raise TypeError("Flow.start_signature only describes Client.start; call client.start()")

    def _type_argument(self, index: int) -> object:
        args = typing.get_args(getattr(self, "__orig_class__", None))
        return args[index] if len(args) > index else Any

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
        self, *, slug: str | None = None, **options: Unpack[StepOptions]
    ) -> Decorate0[RunT]: ...
    @overload
    def step(
        self, a: Step[RunT, A], /, *, slug: str | None = None, **options: Unpack[StepOptions]
    ) -> Decorate1[RunT, A]: ...
    @overload
    def step(
        self,
        a: Step[RunT, A],
        b: Step[RunT, B],
        /,
        *,
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> Decorate2[RunT, A, B]: ...
    @overload
    def step(
        self,
        a: Step[RunT, A],
        b: Step[RunT, B],
        c: Step[RunT, C],
        /,
        *,
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> Decorate3[RunT, A, B, C]: ...
    @overload
    def step(
        self,
        a: Step[RunT, A],
        b: Step[RunT, B],
        c: Step[RunT, C],
        d: Step[RunT, D],
        /,
        *,
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> Decorate4[RunT, A, B, C, D]: ...
    @overload
    def step(
        self,
        a: Step[RunT, A],
        b: Step[RunT, B],
        c: Step[RunT, C],
        d: Step[RunT, D],
        e: Step[RunT, E],
        /,
        *,
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> Decorate5[RunT, A, B, C, D, E]: ...
    @overload
    def step(
        self,
        a: Step[RunT, A],
        b: Step[RunT, B],
        c: Step[RunT, C],
        d: Step[RunT, D],
        e: Step[RunT, E],
        f: Step[RunT, F],
        /,
        *,
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> Decorate6[RunT, A, B, C, D, E, F]: ...
    @overload
    def step(
        self,
        a: Step[RunT, A],
        b: Step[RunT, B],
        c: Step[RunT, C],
        d: Step[RunT, D],
        e: Step[RunT, E],
        f: Step[RunT, F],
        g: Step[RunT, Any],
        /,
        *more: Step[RunT, Any],
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> DecorateMany[RunT]: ...

    def step(
        self, *deps: Step[Any, Any], slug: str | None = None, **options: Unpack[StepOptions]
    ) -> Any:
        """A decorator adding a step whose dependencies are ``deps``, earlier steps' handles.

        The handler takes ``(run, <output of deps[0]>, <output of deps[1]>, ...)``;
        each dependency's parameter is named after its slug.  A dependency that
        may be skipped (:attr:`StepDefinition.skippable`) is passed as None, so
        its parameter must accept None.  ``slug`` defaults to the function's
        name.  Options (:class:`StepOptions`): ``max_attempts``, ``base_delay``
        and ``timeout`` left ``None`` inherit the flow's; ``timeout`` is a
        heartbeat timeout (a running worker extends its lease), and
        ``execution_timeout`` bounds one attempt's total run time;
        ``delay_seconds`` delays the step's tasks after it becomes ready;
        ``run_if``/``run_unless`` are JSON objects matched by containment
        against the step input, ``when_unmet`` says what an unmet condition
        does and ``when_exhausted`` what exhausted retries do (``"fail"``,
        ``"skip"`` or ``"skip-cascade"``).

        mypy checks the handler against up to six dependencies; with more,
        only the definition-time checks apply.
        """
        return self._decorator(deps, slug, is_map=False, options=dict(options))

    @overload
    def map(
        self: Flow[list[ElemT], Any], *, slug: str | None = None, **options: Unpack[StepOptions]
    ) -> DecorateMap[list[ElemT], ElemT]: ...
    @overload
    def map(
        self,
        over: Step[RunT, Sequence[ElemT]],
        /,
        *,
        slug: str | None = None,
        **options: Unpack[StepOptions],
    ) -> DecorateMap[RunT, ElemT]: ...

    def map(
        self, *over: Step[Any, Any], slug: str | None = None, **options: Unpack[StepOptions]
    ) -> Any:
        """A decorator adding a map step: one task per element of an array.

        ``@flow.map(split)`` maps over ``split``'s output (a list); without a
        dependency, ``@flow.map()`` maps over the run input, which must then be
        a list (``Flow[list[Item]]``).  The handler takes one element and
        returns one output; the step's output is the list of outputs in
        element order (an empty array completes the step at once with ``[]``).
        Options as for :meth:`step`.
        """
        if len(over) > 1:
            raise DefinitionError(
                f"flow {self._slug!r}: a map step maps over one array, so it takes at most "
                f"one dependency (got {len(over)})"
            )
        return self._decorator(over, slug, is_map=True, options=dict(options))

    def add_step(
        self,
        slug: str,
        handler: Handler | None = None,
        *,
        depends_on: str | Step[Any, Any] | Sequence[str | Step[Any, Any]] = (),
        map: bool = False,
        **options: Unpack[StepOptions],
    ) -> Step[RunT, Any]:
        """Add a step by slug, handler optional; returns its handle (output typed ``Any``).

        For steps served by a worker in another language (no handler), and
        flows built by a program.  A handler is called as with :meth:`step`
        (``(run, *dependency outputs)``, or ``(element)`` with ``map=True``) and
        checked at definition time only.  ``depends_on`` holds slugs or handles
        of earlier steps.  Options as for :meth:`step`.
        """
        if isinstance(depends_on, str | Step):
            depends_on = (depends_on,)
        elif not isinstance(depends_on, Sequence):
            raise DefinitionError(
                f"flow {self._slug!r}, step {slug!r}: depends_on must be a list of step slugs, "
                f"not {type(depends_on).__name__}"
            )
        deps = tuple(dep.slug if isinstance(dep, Step) else dep for dep in depends_on)
        if not isinstance(map, bool):
            raise DefinitionError(
                f"flow {self._slug!r}, step {slug!r}: map must be True or False, not {map!r}"
            )
        definition = self._add(slug, handler, deps, map, dict(options))
        return Step(self, definition.slug)

    # -- validation ---------------------------------------------------------

    def _decorator(
        self, deps: tuple[object, ...], slug: str | None, *, is_map: bool, options: dict[str, Any]
    ) -> _Decorator:
        where = f"flow {self._slug!r}" + (f", step {slug!r}" if slug is not None else "")
        slugs: list[str] = []
        for dep in deps:
            if not isinstance(dep, Step):
                what = "a function" if callable(dep) else repr(dep)
                raise DefinitionError(
                    f"{where}: dependencies are the handles earlier steps returned, not {what}"
                    + (
                        " (write @flow.step() with parentheses)"
                        if callable(dep)
                        else "; add_step(slug, depends_on=[...]) takes slugs"
                    )
                )
            if dep.flow is not self:
                raise DefinitionError(
                    f"{where}: dependency {dep.slug!r} is a step of flow {dep.flow.slug!r}"
                )
            slugs.append(dep.slug)
        # Check everything now, so a mistake points at the decorator line even
        # if the decorated function is never reached; register on decoration.
        self._check_deps(where, slug, tuple(slugs))
        _check_options(where, options)
        if slug is not None:
            validate_step_slug(self._slug, slug)
        return _Decorator(self, tuple(slugs), slug, is_map, options)

    def _add(
        self,
        slug: str,
        handler: object,
        deps: tuple[str, ...],
        is_map: bool,
        options: dict[str, Any],
    ) -> StepDefinition:
        step_slug = validate_step_slug(self._slug, slug)
        where = f"flow {self._slug!r}, step {step_slug!r}"
        if step_slug in self._by_slug:
            raise DefinitionError(f"flow {self._slug!r}: step {step_slug!r} is already defined")
        self._check_deps(where, step_slug, deps)
        if is_map and len(deps) > 1:
            raise DefinitionError(
                f"{where}: a map step maps over one array, so it can have at most one "
                f"dependency (got {len(deps)}: {', '.join(deps)})"
            )
        checked = _check_options(where, options)
        limits = step_limits(where, **{name: checked.pop(name, None) for name in _LIMIT_OPTIONS})
        self._check_conditions(where, deps, checked.get("run_if"), checked.get("run_unless"))
        binding = None
        if handler is not None:
            skippable = {dep: self._by_slug[dep].skippable for dep in deps}
            binding = bind_handler(
                where,
                handler,
                is_map=is_map,
                deps=deps,
                optional={dep: why for dep, why in skippable.items() if why is not None},
            )
        step = StepDefinition(
            flow_slug=self._slug,
            slug=step_slug,
            index=len(self._steps),
            deps=deps,
            step_type="map" if is_map else "single",
            handler=typing.cast(Handler | None, handler),
            is_async=handler is not None and _is_async(handler),
            binding=binding,
            limits=limits,
            **checked,
        )
        self._steps.append(step)
        self._by_slug[step.slug] = step
        return step

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

    def _suggest(self, slug: str) -> str:
        close = difflib.get_close_matches(slug, list(self._by_slug), n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    def _check_deps(self, where: str, step_slug: str | None, deps: tuple[str, ...]) -> None:
        seen: set[str] = set()
        for dep in deps:
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


_OPTION_CHECKS: Final[dict[str, Callable[[str, str, object], object]]] = {
    "max_attempts": lambda where, name, value: _optional_int(where, name, value, minimum=1),
    "base_delay": lambda where, name, value: _optional_int(where, name, value, minimum=0),
    "timeout": lambda where, name, value: _optional_int(where, name, value, minimum=1),
    "delay_seconds": lambda where, name, value: _int_option(where, name, value, minimum=0),
    "run_if": _condition,
    "run_unless": _condition,
    "when_unmet": _policy,
    "when_exhausted": _policy,
    "execution_timeout": lambda where, name, value: _optional_int(where, name, value, minimum=1),
    # flow control: checked together by pgflow.define.limits.step_limits
    "concurrency": lambda where, name, value: value,
    "concurrency_key": lambda where, name, value: value,
    "rate_limit": lambda where, name, value: value,
    "rate_period": lambda where, name, value: value,
    "secret_output": lambda where, name, value: _secret_output(where, value),
    "max_output_bytes": lambda where, name, value: _optional_int(where, name, value, minimum=1),
}
"""One check per :class:`StepOptions` key: ``(where, name, value) -> the stored value``."""

assert set(_OPTION_CHECKS) == set(StepOptions.__annotations__), "StepOptions and checks differ"

_LIMIT_OPTIONS: Final = ("concurrency", "concurrency_key", "rate_limit", "rate_period")
"""The step options that make up a :class:`~pgflow.define.limits.StepLimits`."""


def _secret_output(where: str, value: object) -> tuple[str, ...]:
    if value is True:
        return (WHOLE,)
    if value is False or value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise DefinitionError(
            f"{where}: secret_output must be True or a list of paths, not {value!r}"
        )
    return check_secret_paths(where, "secret_output", value)


def path_in(root: str, path: str) -> str:
    """A secret path of the run input or a dependency's output as a path into the step input."""
    return root if path == WHOLE else f"{root}.{path}"


def _check_options(where: str, options: Mapping[str, object]) -> dict[str, Any]:
    """Check every option given; return them as :class:`StepDefinition` fields."""
    checked: dict[str, Any] = {}
    for name, value in options.items():
        check = _OPTION_CHECKS.get(name)
        if check is None:
            close = difflib.get_close_matches(name, list(_OPTION_CHECKS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DefinitionError(f"{where}: unknown step option {name!r}{hint}")
        checked[name] = check(where, name, value)
    return checked
