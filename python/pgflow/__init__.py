"""pgflow: workflows (DAGs) that live inside PostgreSQL, with a typed Python layer.

Define a flow with :class:`Flow`, turn it into SQL with :func:`compile_flow`
(a migration) or register it with :func:`deploy_flow`.  The database decides
ordering, retries and completion; this package describes, serialises and calls.

The layout follows that split:

* :mod:`pgflow.define`: defining flows (DSL, shape, compiler, deploy, install);
* :mod:`pgflow.run`: running them (client, run rows, worker, retries);
* :mod:`pgflow.tools`: the demo, throwaway servers and databases, test helpers;
* :mod:`pgflow.cli`: the ``pgflow`` command, over all of these;
* at the top, what every part shares: :mod:`pgflow.errors`, :mod:`pgflow.jsonb`,
  :mod:`pgflow.queries` (every SQL statement sent) and :mod:`pgflow.vocabulary`
  (valid values and defaults, mirrored from ``pgflow.vocabulary()``).

Everything in ``__all__`` is imported from here: ``from pgflow import Flow, Client``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pgflow.define.compiler import compile_flow, compile_shape, migration_filename
from pgflow.define.deploy import DeployResult, FlowComparison, compare_flow, deploy_flow
from pgflow.define.dsl import Flow, Handler, HandlerStep, Step, StepDefinition, StepOptions
from pgflow.define.install import install
from pgflow.define.limits import StepLimits
from pgflow.define.loader import load_flow
from pgflow.define.models import ModelValidationError
from pgflow.define.shape import FlowShape, StepShape, diff_shapes, flow_shape, shape_hash
from pgflow.errors import (
    AttemptNotClaimedError,
    ClaimIsolationError,
    CycleError,
    DatabaseError,
    DatabaseUnavailableError,
    DefinitionError,
    DuplicateDependencyError,
    EmptyFlowError,
    FlowImmutableError,
    FlowNotFoundError,
    FlowRefError,
    FlowRetiredError,
    InvalidInputError,
    InvalidLimitError,
    InvalidOptionError,
    InvalidSlugError,
    MapDependencyError,
    NotAllowedError,
    NotInstalledError,
    PgflowError,
    RunIdConflictError,
    RunNotFoundError,
    RunNotRetryableError,
    SelfDependencyError,
    ShapeMismatchError,
    StepNotFoundError,
    UnknownDependencyError,
    translate,
)
from pgflow.jsonb import UndecodableJson

__version__ = "0.3.0"

# --- running flows (pgflow.run): client, worker, run rows ---------------------
# Imported on first use (module __getattr__), so `import pgflow` stays light
# for code that only defines flows (the CLI's compile, migrations).
# Add "Name": "pgflow.run.module" here, the name to __all__, and the import
# under TYPE_CHECKING below.
_LAZY: dict[str, str] = {
    "Client": "pgflow.run.client",
    "RunHandle": "pgflow.run.client",
    "RunFailedError": "pgflow.run.client",
    "AsyncClient": "pgflow.run.async_client",
    "AsyncRunHandle": "pgflow.run.async_client",
    "WaitTimeoutError": "pgflow.run.client",
    "Worker": "pgflow.run.worker",
    "WorkerOptions": "pgflow.run.worker",
    "WorkerReport": "pgflow.run.worker",
    "TaskContext": "pgflow.run.worker",
    "current_task": "pgflow.run.worker",
    "Run": "pgflow.run.rows",
    "RunDetails": "pgflow.run.rows",
    "StepState": "pgflow.run.rows",
    "StepTask": "pgflow.run.rows",
    "RunStatus": "pgflow.run.rows",
    "StepStatus": "pgflow.run.rows",
    "TaskStatus": "pgflow.run.rows",
    "TaskAttempt": "pgflow.run.rows",
    "AttemptOutcome": "pgflow.run.rows",
    "FlowInfo": "pgflow.run.rows",
    "RunSummary": "pgflow.run.rows",
    "WorkerInfo": "pgflow.run.rows",
    "PruneResult": "pgflow.run.rows",
}

if TYPE_CHECKING:
    from pgflow.run.async_client import AsyncClient, AsyncRunHandle
    from pgflow.run.client import Client, RunFailedError, RunHandle, WaitTimeoutError
    from pgflow.run.rows import (
        AttemptOutcome,
        FlowInfo,
        PruneResult,
        Run,
        RunDetails,
        RunStatus,
        RunSummary,
        StepState,
        StepStatus,
        StepTask,
        TaskAttempt,
        TaskStatus,
        WorkerInfo,
    )
    from pgflow.run.worker import TaskContext, Worker, WorkerOptions, WorkerReport, current_task
# --- end of runs section -------------------------------------------------------

__all__ = [
    "AsyncClient",
    "AsyncRunHandle",
    "AttemptNotClaimedError",
    "AttemptOutcome",
    "ClaimIsolationError",
    "Client",
    "CycleError",
    "DatabaseError",
    "DatabaseUnavailableError",
    "DefinitionError",
    "DeployResult",
    "DuplicateDependencyError",
    "EmptyFlowError",
    "Flow",
    "FlowComparison",
    "FlowImmutableError",
    "FlowInfo",
    "FlowNotFoundError",
    "FlowRefError",
    "FlowRetiredError",
    "FlowShape",
    "Handler",
    "HandlerStep",
    "InvalidInputError",
    "InvalidLimitError",
    "InvalidOptionError",
    "InvalidSlugError",
    "MapDependencyError",
    "ModelValidationError",
    "NotAllowedError",
    "NotInstalledError",
    "PgflowError",
    "PruneResult",
    "Run",
    "RunDetails",
    "RunFailedError",
    "RunHandle",
    "RunIdConflictError",
    "RunNotFoundError",
    "RunNotRetryableError",
    "RunStatus",
    "RunSummary",
    "SelfDependencyError",
    "ShapeMismatchError",
    "Step",
    "StepDefinition",
    "StepLimits",
    "StepNotFoundError",
    "StepOptions",
    "StepShape",
    "StepState",
    "StepStatus",
    "StepTask",
    "TaskAttempt",
    "TaskContext",
    "TaskStatus",
    "UndecodableJson",
    "UnknownDependencyError",
    "WaitTimeoutError",
    "Worker",
    "WorkerInfo",
    "WorkerOptions",
    "WorkerReport",
    "__version__",
    "compare_flow",
    "compile_flow",
    "compile_shape",
    "current_task",
    "deploy_flow",
    "diff_shapes",
    "flow_shape",
    "install",
    "load_flow",
    "migration_filename",
    "shape_hash",
    "translate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pgflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value
