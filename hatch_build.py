"""Wheel build hook: every standard build puts pgflow's SQL in the wheel, or fails.

hatchling runs this for ``pip wheel .``, ``pip install .``, ``python -m build``
(wheel from the sdist) and ``make dist`` alike. It runs the same
``scripts/build_sql.py`` as ``make build``, so there is one set of build rules.

* standard wheel: the SQL is built into a temporary directory and packed as
  ``pgflow/sql/`` (the source tree is not written to);
* editable install (``pip install -e .``): the SQL is built into
  ``python/pgflow/sql/``, where the editable package reads it (as ``make build``).

Without the sources (``extension/``) the build fails with a message saying so:
a wheel without its SQL would install and then fail at ``pgflow install``.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _build_sql_module(root: Path) -> ModuleType:
    path = root / "scripts" / "build_sql.py"
    if not path.is_file():
        raise RuntimeError(
            f"pgflow: {path} is missing, so the wheel would have no SQL; build from a "
            "source checkout or the sdist"
        )
    spec = importlib.util.spec_from_file_location("pgflow_build_sql", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class SqlBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "pgflow-sql"

    _tmp: str | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        build_sql = _build_sql_module(root)
        try:
            if version == "editable":
                build_sql.build(root, root / "python" / "pgflow" / "sql")
                return
            self._tmp = tempfile.mkdtemp(prefix="pgflow-sql-")
            files = build_sql.build(root, Path(self._tmp), extension_dir=False, quiet=True)
        except build_sql.BuildError as error:
            raise RuntimeError(f"pgflow: cannot build the SQL for the wheel: {error}") from None
        for path in files:
            build_data["force_include"][str(path)] = f"pgflow/sql/{path.name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
