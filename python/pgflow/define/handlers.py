"""How a step's handler is called: its signature, checked once, and its arguments per task.

The task input on the wire is ``{"run": <run input>, "<dep>": <output>, ...}``
(one element of the array for a map step).  A handler receives it spread out
as positional arguments: ``handler(run, dep_1, ..., dep_n)`` in the order the
dependencies were given, or ``handler(element)`` for a map step.  A dependency
that was skipped is absent from the task input and passed as ``None``.

:func:`bind_handler` checks, when the step is defined, what mypy cannot check
for every program: the handler takes that many positional arguments, each
dependency's parameter is named after the dependency (so swapping two of the
same type is caught), and a dependency that may be skipped has a parameter
that accepts ``None``.  It also prepares pydantic validation when the
handler's annotations involve models (:mod:`pgflow.define.models`).
"""

from __future__ import annotations

import inspect
import keyword
import typing
from collections.abc import Awaitable, Coroutine, Mapping
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any

from pgflow.define.models import JsonAdapter, json_adapter
from pgflow.errors import DefinitionError

__all__ = ["Binding", "bind_handler"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True, slots=True)
class Binding:
    """A checked handler and how to call it with a task input."""

    is_map: bool
    deps: tuple[str, ...]
    arguments: tuple[JsonAdapter | None, ...] = ()
    """Per positional argument, the pydantic adapter of its annotation (None: passed as is)."""
    output: JsonAdapter | None = None
    """The adapter of the handler's return annotation, when it involves a model."""

    def arguments_for(self, task_input: object) -> tuple[object, ...]:
        """The handler's positional arguments for one task input.

        Raises :class:`ValueError` when a single step's input is not an object
        with a ``run`` key (it always is, unless the task was not made by pgflow),
        and :class:`~pgflow.define.models.ModelValidationError` when a value
        does not fit its parameter's pydantic type.
        """
        if self.is_map:
            values: tuple[object, ...] = (task_input,)
        else:
            if not isinstance(task_input, Mapping) or "run" not in task_input:
                raise ValueError(
                    f"the task input is not an object with a 'run' key: {type(task_input).__name__}"
                )
            values = (task_input["run"], *(task_input.get(dep) for dep in self.deps))
        if not any(self.arguments):
            return values
        names = ("element",) if self.is_map else ("run", *self.deps)
        return tuple(
            value
            if adapter is None or (value is None and name in self.deps)
            else adapter.from_json(value, where=f"argument {name!r}")
            for name, value, adapter in zip(names, values, self.arguments, strict=False)
        )

    def output_json(self, result: object) -> object:
        """The handler's result, validated against its return type when that is a model."""
        if self.output is None:
            return result
        return self.output.to_json(result, where="the handler's return value")


def _signature(handler: object) -> inspect.Signature | None:
    try:
        return inspect.signature(handler, eval_str=True)  # type: ignore[arg-type]
    except (NameError, SyntaxError, TypeError, AttributeError):
        pass  # an annotation that cannot be resolved here: use the text
    try:
        return inspect.signature(handler)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # some builtins have no signature: trust them
        return None


def _accepts_none(annotation: object) -> bool:
    """True when a parameter annotated ``annotation`` may receive None."""
    if annotation is inspect.Parameter.empty or annotation in (Any, object, None, NoneType):
        return True
    if isinstance(annotation, str):  # unresolvable text: the usual spellings of optional
        text = annotation.replace(" ", "")
        return (
            "None" in text.split("|")
            or text.startswith(("Optional[", "typing.Optional["))
            or text in ("Any", "typing.Any", "object")
        )
    if typing.get_origin(annotation) is typing.Annotated:
        return _accepts_none(typing.get_args(annotation)[0])
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_accepts_none(arg) for arg in typing.get_args(annotation))
    return False


def _text(annotation: object) -> str:
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return annotation.__qualname__
    return str(annotation).replace("typing.", "")


def bind_handler(
    where: str,
    handler: object,
    *,
    is_map: bool,
    deps: tuple[str, ...],
    optional: Mapping[str, str],
) -> Binding:
    """Check ``handler`` for a step with ``deps`` and return how to call it.

    ``optional`` maps each dependency that may be skipped to the reason (for
    the message).  Raises :class:`DefinitionError` naming ``where``.
    """
    if not callable(handler):
        raise DefinitionError(f"{where}: the handler must be callable, not {handler!r}")
    signature = _signature(handler)
    if signature is None:
        return Binding(is_map=is_map, deps=deps)
    names = ("element",) if is_map else ("run", *deps)
    try:
        signature.bind(*names)
    except TypeError:
        expected = (
            "one positional parameter, the array element (a map step)"
            if is_map
            else f"{len(names)} positional parameter(s): ({', '.join(names)})"
        )
        raise DefinitionError(
            f"{where}: the handler must take {expected}; its signature is {signature}"
        ) from None
    positional = [p for p in signature.parameters.values() if p.kind in _POSITIONAL]
    if not is_map:
        for position, dep in enumerate(deps, start=1):
            if position >= len(positional):
                break  # taken by *args: nothing to name
            parameter = positional[position]
            if parameter.name != dep and dep.isidentifier() and not keyword.iskeyword(dep):
                hint = (
                    f"the dependencies come in the order given to the decorator: (run, "
                    f"{', '.join(deps)})"
                    if parameter.name in deps
                    else f"name it {dep!r}"
                )
                raise DefinitionError(
                    f"{where}: parameter {parameter.name!r} receives the output of "
                    f"dependency {dep!r}; {hint}"
                )
            if dep in optional and not _accepts_none(parameter.annotation):
                raise DefinitionError(
                    f"{where}: dependency {dep!r} may be skipped ({optional[dep]}), so parameter "
                    f"{parameter.name!r} must accept None: annotate it "
                    f"`{_text(parameter.annotation)} | None`"
                )
    arguments = tuple(
        None if isinstance(p.annotation, str) else json_adapter(p.annotation)
        for p in positional[: len(names)]
    )
    returns = signature.return_annotation
    if isinstance(returns, str) or typing.get_origin(returns) in (Awaitable, Coroutine):
        output = None
    else:
        output = json_adapter(returns)
    return Binding(is_map=is_map, deps=deps, arguments=arguments, output=output)
