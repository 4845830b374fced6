"""Optional pydantic support, without importing pydantic unless a model is used.

A run input, a handler parameter or a handler's return type may be declared
with a pydantic model (or a type containing one, such as ``list[Model]`` or
``Model | None``).  Then:

* ``client.start(flow, input)`` validates the input against the flow's run
  type and sends the model's JSON form (:func:`json_adapter`);
* the worker validates each argument into the declared type before calling
  the handler, and validates the handler's result against its return type
  before serialising it (so a handler returning a dict of the wrong shape
  fails its task, and one returning a model is stored as the model's JSON);
* ``RunHandle.result()`` validates the run output into the flow's output type.

pydantic is found through the classes themselves (a class whose MRO contains
``pydantic.main.BaseModel``), so ``pgflow`` never imports it unless such a
class exists, in which case it is installed (the ``pydantic`` extra).
"""

from __future__ import annotations

import importlib
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pgflow.errors import PgflowError

__all__ = ["JsonAdapter", "ModelValidationError", "involves_model", "json_adapter", "to_jsonable"]


class ModelValidationError(PgflowError, ValueError):
    """A value did not validate against a declared pydantic type; the message says where."""


def _is_model_class(value: object) -> bool:
    if not isinstance(value, type):
        return False
    return any(
        klass.__module__ == "pydantic.main" and klass.__name__ == "BaseModel"
        for klass in value.__mro__
    )


def involves_model(annotation: object, _depth: int = 0) -> bool:
    """True when ``annotation`` is a pydantic model or a type built from one."""
    if _depth > 20 or annotation is None or isinstance(annotation, str):
        return False
    if _is_model_class(annotation):
        return True
    return any(involves_model(arg, _depth + 1) for arg in typing.get_args(annotation))


@dataclass(frozen=True, slots=True)
class JsonAdapter:
    """Validates a value against a declared type and gives its JSON-ready form."""

    annotation: object
    validate: Callable[[object], object]
    """Value (a dict from JSON, or already a model) -> the declared Python type."""
    dump: Callable[[object], object]
    """Declared Python type -> JSON-ready value (dicts, lists, strings, numbers)."""

    def to_json(self, value: object, *, where: str) -> object:
        """Validate ``value`` and return its JSON form; :class:`ModelValidationError` if invalid."""
        return self.dump(self.from_json(value, where=where))

    def from_json(self, value: object, *, where: str) -> object:
        """Validate ``value`` into the declared type; :class:`ModelValidationError` if invalid."""
        pydantic = sys.modules.get("pydantic") or importlib.import_module("pydantic")
        try:
            return self.validate(value)
        except pydantic.ValidationError as error:
            raise ModelValidationError(f"{where}: {error}") from None


def json_adapter(annotation: object) -> JsonAdapter | None:
    """An adapter for ``annotation`` when it involves a pydantic model, else None."""
    if not involves_model(annotation):
        return None
    pydantic = importlib.import_module("pydantic")
    adapter: Any = pydantic.TypeAdapter(annotation)
    return JsonAdapter(
        annotation=annotation,
        validate=adapter.validate_python,
        dump=lambda value: adapter.dump_python(value, mode="json"),
    )


def to_jsonable(value: object) -> object:
    """``json.dumps`` ``default=`` hook: a pydantic model becomes its JSON form."""
    dump = getattr(value, "model_dump", None)
    if dump is not None and _is_model_class(type(value)):
        result: object = dump(mode="json")
        return result
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
