"""Step handles: what ``@flow.step(...)`` and ``@flow.map(...)`` return.

A :class:`Step` names a step of a flow and carries, for mypy, the flow's run
input type and the step's output type: passing it to a later decorator
(``@flow.step(website)``) makes it a dependency, and the handler's parameter
for it is checked against that output type.

A :class:`HandlerStep` is a step with a Python handler.  It is still callable
as the plain function, with the same arguments and result, so handlers stay
unit-testable: ``sentiment(run, page)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

if TYPE_CHECKING:
    from pgflow.define.dsl import Flow, StepDefinition

__all__ = ["HandlerStep", "Step"]

RunT = TypeVar("RunT")
OutT_co = TypeVar("OutT_co", covariant=True)
R_co = TypeVar("R_co", covariant=True)
P = ParamSpec("P")


class Step(Generic[RunT, OutT_co]):
    """A step of a flow whose run input is ``RunT`` and whose output is ``OutT_co``.

    ``slug`` is its name in the database; ``definition`` the full
    :class:`~pgflow.define.dsl.StepDefinition` (options, dependencies).
    """

    __slots__ = ("_flow", "_slug")

    def __init__(self, flow: Flow[Any, Any], slug: str) -> None:
        self._flow = flow
        self._slug = slug

    @property
    def slug(self) -> str:
        return self._slug

    @property
    def flow(self) -> Flow[Any, Any]:
        """The flow this step belongs to."""
        return self._flow

    @property
    def definition(self) -> StepDefinition:
        return self._flow.get_step(self._slug)

    def __repr__(self) -> str:
        return f"Step({self._flow.slug}.{self._slug})"


class HandlerStep(Step[RunT, OutT_co], Generic[RunT, OutT_co, P, R_co]):
    """A step with its Python handler; calling it calls the handler.

    ``P`` and ``R_co`` are the handler's parameters and return type as the
    decorator checked them (``(run, dep_a, ...)``, or ``(element)`` for a map
    step), so ``sentiment(run, page)`` is type-checked like the function.
    """

    __slots__ = ("__dict__", "_handler")

    __wrapped__: Any
    """The handler itself."""
    __name__: str

    def __init__(self, flow: Flow[Any, Any], slug: str, handler: Any) -> None:
        super().__init__(flow, slug)
        self._handler = handler
        # Look like the function to help(), tracebacks and doc tools.
        for name in ("__module__", "__name__", "__qualname__", "__doc__"):
            value = getattr(handler, name, None)
            if value is not None:
                self.__dict__[name] = value
        self.__dict__["__wrapped__"] = handler

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co:
        result: R_co = self._handler(*args, **kwargs)
        return result

    def __repr__(self) -> str:
        return f"HandlerStep({self._flow.slug}.{self._slug}, {self.__dict__.get('__qualname__')})"
