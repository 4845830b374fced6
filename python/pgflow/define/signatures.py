"""The decorator types behind ``flow.step(...)`` and ``flow.map(...)``, one per arity.

``flow.step(a, b)`` returns a :class:`Decorate2` bound to the flow's run type
and to the output types of ``a`` and ``b``; applying it to a handler checks,
under mypy, that the handler takes exactly ``(run, a_output, b_output)`` and
turns it into a :class:`~pgflow.define.steps.HandlerStep` of the handler's
output type.  Each class has three overloads: a coroutine function (``async
def``: the step's output is what the coroutine returns), a function returning
another awaitable, and a plain function.

These are types only: at run time every ``flow.step(...)`` returns
the same decorator object (:class:`pgflow.define.dsl._Decorator`), which checks
the handler's arity and parameter names when it is applied.  Python has no way
to map over a variadic list of generic types, so the arities are written out:
up to :data:`STATIC_DEPENDENCIES` dependencies are checked statically; a step
with more is accepted by mypy without checking its handler and checked at
definition time only (arity and names).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final, Generic, TypeVar, overload

from pgflow.define.steps import HandlerStep

__all__ = [
    "STATIC_DEPENDENCIES",
    "Decorate0",
    "Decorate1",
    "Decorate2",
    "Decorate3",
    "Decorate4",
    "Decorate5",
    "Decorate6",
    "DecorateMany",
    "DecorateMap",
]

STATIC_DEPENDENCIES: Final = 6
"""Dependencies per step whose types mypy checks against the handler's parameters."""

RunT = TypeVar("RunT")
O = TypeVar("O")  # noqa: E741 - the handler's output
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
E = TypeVar("E")
F = TypeVar("F")
ElemT = TypeVar("ElemT")


class Decorate0(Generic[RunT]):
    """``flow.step()``: a handler ``(run) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT], Awaitable[O]]: ...
    @overload
    def __call__(self, handler: Callable[[RunT], O], /) -> HandlerStep[RunT, O, [RunT], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class Decorate1(Generic[RunT, A]):
    """``flow.step(a)``: a handler ``(run, a) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT, A], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT, A], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT, A], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A], O], /
    ) -> HandlerStep[RunT, O, [RunT, A], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class Decorate2(Generic[RunT, A, B]):
    """``flow.step(a, b)``: a handler ``(run, a, b) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B], O], /
    ) -> HandlerStep[RunT, O, [RunT, A, B], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class Decorate3(Generic[RunT, A, B, C]):
    """``flow.step(a, b, c)``: a handler ``(run, a, b, c) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C], O], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class Decorate4(Generic[RunT, A, B, C, D]):
    """``flow.step(a, b, c, d)``: a handler ``(run, a, b, c, d) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D], O], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class Decorate5(Generic[RunT, A, B, C, D, E]):
    """``flow.step(a, b, c, d, e)``: a handler ``(run, a, b, c, d, e) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D, E], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D, E], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D, E], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D, E], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D, E], O], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D, E], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class Decorate6(Generic[RunT, A, B, C, D, E, F]):
    """``flow.step(a, b, c, d, e, f)``: a handler ``(run, a, b, c, d, e, f) -> output``."""

    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D, E, F], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D, E, F], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D, E, F], Awaitable[O]], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D, E, F], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[RunT, A, B, C, D, E, F], O], /
    ) -> HandlerStep[RunT, O, [RunT, A, B, C, D, E, F], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError  # a type only: flow.step() returns pgflow.define.dsl._Decorator


class DecorateMany(Generic[RunT]):
    """``flow.step(...)`` with more dependencies than typed statically: checked at definition."""

    @overload
    def __call__(
        self, handler: Callable[..., Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, O, ..., Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[..., Awaitable[O]], /
    ) -> HandlerStep[RunT, O, ..., Awaitable[O]]: ...
    @overload
    def __call__(self, handler: Callable[..., O], /) -> HandlerStep[RunT, O, ..., O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError


class DecorateMap(Generic[RunT, ElemT]):
    """``flow.map(dep)``: a handler ``(element) -> output``; the step outputs ``list[output]``."""

    @overload
    def __call__(
        self, handler: Callable[[ElemT], Coroutine[Any, Any, O]], /
    ) -> HandlerStep[RunT, list[O], [ElemT], Coroutine[Any, Any, O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[ElemT], Awaitable[O]], /
    ) -> HandlerStep[RunT, list[O], [ElemT], Awaitable[O]]: ...
    @overload
    def __call__(
        self, handler: Callable[[ElemT], O], /
    ) -> HandlerStep[RunT, list[O], [ElemT], O]: ...
    def __call__(self, handler: Any, /) -> Any:
        raise NotImplementedError
