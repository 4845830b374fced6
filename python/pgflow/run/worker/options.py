"""Worker settings, from arguments or ``PGFLOW_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Final

from pgflow.vocabulary import MAX_OUTPUT_BYTES

__all__ = ["DEFAULT_MAX_OUTPUT_BYTES", "ENVIRONMENT_VARIABLES", "WorkerOptions"]

DEFAULT_MAX_OUTPUT_BYTES: Final = MAX_OUTPUT_BYTES
"""The database's default bound too (``pgflow.vocabulary()``)."""
"""16 MiB: the default limit on one handler output's JSON text.

jsonb refuses values over 256 MB, but an output is stored more than once (the
task, the step, the input of every dependent task, the run output), is held
in the worker's memory as text while it is reported, and a map step gathers
all its task outputs into one array that must itself stay under the limit.
16 MiB leaves that headroom and is far above what workflow steps usually
return (identifiers, small documents); pass large data by reference (a URL,
a table row) or raise the limit.
"""

ENVIRONMENT_VARIABLES: Final = {
    "concurrency": "PGFLOW_CONCURRENCY",
    "batch_size": "PGFLOW_BATCH_SIZE",
    "poll_interval": "PGFLOW_POLL_INTERVAL",
    "heartbeat_interval": "PGFLOW_HEARTBEAT_INTERVAL",
    "grace_period": "PGFLOW_GRACE_PERIOD",
    "max_output_bytes": "PGFLOW_MAX_OUTPUT_BYTES",
}
"""Option name → environment variable read by :meth:`WorkerOptions.from_env`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """How a worker claims and runs tasks.

    concurrency
        Handlers running at once in this process (threads for sync handlers,
        the same limit for async ones).  A claim asks for at most the free slots.
    batch_size
        Most tasks asked for in one ``claim_tasks`` call.
    poll_interval
        Seconds between claims when no notification arrives (the fallback if a
        ``NOTIFY`` is missed, e.g. while reconnecting).
    heartbeat_interval
        Seconds between ``heartbeat_worker`` calls.
    grace_period
        Seconds a stopping worker waits for running handlers before it leaves
        them to lease expiry.
    flush_delay
        Seconds the reporter lingers after a first result for others to batch
        with it.  The default 0 adds no latency: results that arrive while a
        report is in flight are sent together in the next ``complete_tasks``
        call, so batches grow by themselves under load.
    max_batch_report
        Most completions sent in one ``complete_tasks`` call.
    max_error_length
        Error messages sent to ``fail_task`` are cut to this many characters.
    max_output_bytes
        A handler output whose JSON text is larger (UTF-8 bytes) fails its
        task before anything is sent, with ``OutputTooLarge: the handler's
        output is N bytes, over the worker's limit of M``; the attempt counts
        like any failure.  Default :data:`DEFAULT_MAX_OUTPUT_BYTES` (16 MiB).
    verify_flows
        Check at start that each flow's shape in the database equals the code's
        (``pgflow.verify_flow``), so a worker never runs handlers of a
        different definition.
    """

    concurrency: int = 10
    batch_size: int = 10
    poll_interval: float = 5.0
    heartbeat_interval: float = 5.0
    grace_period: float = 30.0
    flush_delay: float = 0.0
    max_batch_report: int = 100
    max_error_length: int = 10_000
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    verify_flows: bool = True

    def __post_init__(self) -> None:
        for name in (
            "concurrency",
            "batch_size",
            "max_batch_report",
            "max_error_length",
            "max_output_bytes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"worker option {name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("poll_interval", "heartbeat_interval"):
            if getattr(self, name) <= 0:
                raise ValueError(f"worker option {name} must be > 0, got {getattr(self, name)!r}")
        for name in ("grace_period", "flush_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"worker option {name} must be >= 0, got {getattr(self, name)!r}")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> WorkerOptions:
        """Options from ``PGFLOW_*`` variables; keyword arguments that are not None win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for name, variable in ENVIRONMENT_VARIABLES.items():
            raw = env.get(variable)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = int(raw) if types[name] == "int" else float(raw)
            except ValueError:
                raise ValueError(f"{variable}={raw!r} is not a number") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
