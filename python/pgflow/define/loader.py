"""Load a :class:`~pgflow.define.dsl.Flow` from a ``FLOW_REF`` string.

Two forms, both ending in an optional ``:Name`` (an attribute path in the module):

* ``path/to/flows.py:AnalyzeWebsite`` — a file, imported under a private
  module name; its directory goes on ``sys.path`` so it can import siblings;
* ``package.module:AnalyzeWebsite`` — an importable module (the current
  directory is searched too, as with ``python -m``).

Without ``:Name`` the module must define exactly one flow.  Every failure is a
:class:`~pgflow.errors.FlowRefError` whose message says what was tried; an
exception raised by the user's module is reported with its type and message.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from pgflow.define.dsl import Flow
from pgflow.errors import FlowRefError

__all__ = ["load_flow", "load_module", "split_flow_ref"]


def split_flow_ref(ref: str) -> tuple[str, str | None]:
    """Split ``"target:Name"`` into ``("target", "Name")``; the name may be absent.

    The split is on the last colon, so Windows drive letters (``C:\\...``) survive.
    """
    ref = ref.strip()
    if not ref:
        raise FlowRefError("empty FLOW_REF; expected path/to/flows.py:Name or package.module:Name")
    target, sep, name = ref.rpartition(":")
    if not sep or "/" in name or "\\" in name or (len(target) == 1 and target.isalpha()):
        return ref, None
    if not target:
        raise FlowRefError(f"FLOW_REF {ref!r} names no module or file before ':'")
    if not name:
        raise FlowRefError(f"FLOW_REF {ref!r} has nothing after ':'; expected a flow name")
    return target, name


def _looks_like_path(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target


def _load_file(target: str) -> ModuleType:
    path = Path(target).expanduser()
    if not path.is_file():
        raise FlowRefError(f"cannot load {target!r}: no such file")
    path = path.resolve()
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    stem = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in path.stem)
    module_name = f"_pgflow_flows_{stem}_{digest}"
    existing = sys.modules.get(module_name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise FlowRefError(f"cannot load {target!r}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as error:
        del sys.modules[module_name]
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        raise FlowRefError(
            f"importing {target!r} failed: {type(error).__name__}: {error}"
        ) from error
    return module


def _load_module(target: str) -> ModuleType:
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as error:
        if error.name is not None and (target == error.name or target.startswith(error.name + ".")):
            raise FlowRefError(
                f"cannot import {target!r}: no module named {error.name!r} "
                "(for a file, give its path, e.g. path/to/flows.py:Name)"
            ) from error
        raise FlowRefError(f"importing {target!r} failed: {error}") from error
    except Exception as error:
        raise FlowRefError(
            f"importing {target!r} failed: {type(error).__name__}: {error}"
        ) from error


def load_module(target: str) -> ModuleType:
    """Import a module given as a file path or a dotted module name."""
    return _load_file(target) if _looks_like_path(target) else _load_module(target)


def _resolve(module: ModuleType, target: str, name: str) -> object:
    value: object = module
    for part in name.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            flows = _flows_in(module)
            known = f"; flows defined there: {', '.join(flows)}" if flows else ""
            raise FlowRefError(f"{target!r} has no attribute {name!r}{known}") from None
    return value


def _flows_in(module: ModuleType) -> list[str]:
    """Names of the module's flows, one per flow object (aliases collapse to the first)."""
    names: dict[int, str] = {}
    for name, value in sorted(vars(module).items()):
        if isinstance(value, Flow) and not name.startswith("_"):
            names.setdefault(id(value), name)
    return sorted(names.values())


def load_flow(ref: str) -> Flow[Any]:
    """Return the flow named by ``ref`` (see the module docstring)."""
    target, name = split_flow_ref(ref)
    module = load_module(target)
    if name is None:
        flows = _flows_in(module)
        if len(flows) != 1:
            found = f"it defines {', '.join(flows)}" if flows else "it defines none"
            raise FlowRefError(
                f"{target!r} must define exactly one flow when no ':Name' is given; {found}"
            )
        name = flows[0]
    value = _resolve(module, target, name)
    if not isinstance(value, Flow):
        raise FlowRefError(f"{target}:{name} is not a pgflow Flow (got {type(value).__name__})")
    return value
