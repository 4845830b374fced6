"""pgflow: workflows (DAGs) that live inside PostgreSQL, with a typed Python layer.

Define a flow with :class:`Flow`, turn it into SQL with :func:`compile_flow`
(a migration) or register it with :func:`deploy_flow`.  The database decides
ordering, retries and completion; this package describes, serialises and calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pgflow.compiler import compile_flow, compile_shape, migration_filename
from pgflow.deploy import DeployResult, FlowComparison, compare_flow, deploy_flow
from pgflow.dsl import Flow, Handler, StepDefinition, StepInput
from pgflow.errors import (
    AttemptNotClaimedError,
    CycleError,
    DatabaseError,
    DatabaseUnavailableError,
    DefinitionError,
    DuplicateDependencyError,
    EmptyFlowError,
    FlowImmutableError,
    FlowNotFoundError,
    FlowRefError,
    InvalidInputError,
    InvalidOptionError,
    InvalidSlugError,
    MapDependencyError,
    NotAllowedError,
    PgflowError,
    RunIdConflictError,
    RunNotFoundError,
    SelfDependencyError,
    ShapeMismatchError,
    StepNotFoundError,
    UnknownDependencyError,
    translate,
)
from pgflow.install import install
from pgflow.jsonb import UndecodableJson
from pgflow.loader import load_flow
from pgflow.shape import FlowShape, StepShape, diff_shapes, flow_shape, shape_hash

__version__ = "0.2.0"

# --- runs: client, worker, run types ------------------------------------------
# Owned by the client/worker side. Imported on first use (module __getattr__),
# so `import pgflow` works and stays light whatever of that side exists.
# Add "Name": "pgflow.module" here, the name to __all__, and the import under
# TYPE_CHECKING below.
_LAZY: dict[str, str] = {
    "Client": "pgflow.client",
    "RunHandle": "pgflow.client",
    "WaitTimeoutError": "pgflow.client",
    "Worker": "pgflow.worker",
    "WorkerOptions": "pgflow.worker",
    "WorkerReport": "pgflow.worker",
    "TaskContext": "pgflow.worker",
    "current_task": "pgflow.worker",
    "Run": "pgflow.runs",
    "RunDetails": "pgflow.runs",
    "StepState": "pgflow.runs",
    "StepTask": "pgflow.runs",
    "RunStatus": "pgflow.runs",
    "StepStatus": "pgflow.runs",
    "TaskStatus": "pgflow.runs",
}

if TYPE_CHECKING:
    from pgflow.client import Client, RunHandle, WaitTimeoutError
    from pgflow.runs import Run, RunDetails, RunStatus, StepState, StepStatus, StepTask, TaskStatus
    from pgflow.worker import TaskContext, Worker, WorkerOptions, WorkerReport, current_task
# --- end of runs section -------------------------------------------------------

__all__ = [
    "AttemptNotClaimedError",
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
    "FlowNotFoundError",
    "FlowRefError",
    "FlowShape",
    "Handler",
    "InvalidInputError",
    "InvalidOptionError",
    "InvalidSlugError",
    "MapDependencyError",
    "NotAllowedError",
    "PgflowError",
    "Run",
    "RunDetails",
    "RunHandle",
    "RunIdConflictError",
    "RunNotFoundError",
    "RunStatus",
    "SelfDependencyError",
    "ShapeMismatchError",
    "StepDefinition",
    "StepInput",
    "StepNotFoundError",
    "StepShape",
    "StepState",
    "StepStatus",
    "StepTask",
    "TaskContext",
    "TaskStatus",
    "UndecodableJson",
    "UnknownDependencyError",
    "WaitTimeoutError",
    "Worker",
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
