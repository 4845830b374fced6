"""One JSON object per log line, for ``pgflow worker --log-format json``.

Each line has ``ts`` (UTC, ISO 8601 with milliseconds), ``level``,
``logger``, ``message`` (formatted), ``thread``, and ``exception`` (the
formatted traceback) when the record carries one.  Values passed with
``extra=`` are added as keys when they are JSON values (others as ``repr``).
The task a record concerns is given by the pgflow fields ``run_id``,
``flow_slug``, ``step_slug``, ``task_index`` and ``attempt`` when the worker
logs from inside a handler (:func:`~pgflow.run.worker.current_task`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Final

from pgflow.run.worker.context import current_task

__all__ = ["JsonFormatter"]

_STANDARD: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """Formats each record as one line of JSON (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        try:
            task = current_task()
        except LookupError:
            pass
        else:
            entry.update(
                run_id=str(task.run_id),
                flow_slug=task.flow_slug,
                step_slug=task.step_slug,
                task_index=task.task_index,
                attempt=task.attempt,
            )
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if _is_json(value) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=repr)


def _is_json(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
