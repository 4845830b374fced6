"""Named queries of the package, loaded from ``queries.sql``.

The SQL lives in one resource file (``-- name: <name>`` blocks) so it can be
read and reviewed as SQL.  Each block is exposed here as a constant typed
``LiteralString``: psycopg accepts it as a query, and nothing in the SDK builds
SQL from runtime strings.  The SDK calls pgflow's stored functions and reads
its tables; it never decides ordering, retries or completion itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Final, LiteralString

__all__ = [
    "ALLOW_DROP_FLOW",
    "CANCEL_RUN",
    "CLAIM_TASKS",
    "COMPLETE_TASK",
    "COMPLETE_TASKS",
    "CREATE_DATABASE",
    "CREATE_DATABASE_FROM_TEMPLATE",
    "CREATE_EXTENSION",
    "DROP_DATABASE",
    "DROP_FLOW",
    "EXTEND_LEASES",
    "FAIL_TASK",
    "FLOW_SECRET_INPUT",
    "GET_FLOW",
    "GET_RUN",
    "GET_RUNS",
    "GET_RUN_ATTEMPTS",
    "GET_RUN_STATUSES",
    "GET_STEP_STATES",
    "GET_STEP_TASKS",
    "HEARTBEAT_WORKER",
    "INSTALLED_STATE",
    "LISTEN_RUNS",
    "LISTEN_TASKS",
    "LIST_RUNS",
    "LIST_WORKERS",
    "NEXT_TASK_VISIBLE_AT",
    "PRUNE_RUNS",
    "PRUNE_WORKERS",
    "QUERIES",
    "READ_FLOW_SHAPE",
    "READ_SNAPSHOT",
    "REGISTER_WORKER",
    "RETIRE_FLOW",
    "RETRY_RUN",
    "SERVER_NOW",
    "SERVE_STEPS",
    "SET_STEP_LIMITS",
    "STALE_FLOWS",
    "START_FLOW",
    "STEP_LIMITS",
    "STOP_WORKER",
    "UI_CURRENT_ROLE",
    "UI_FLOW_STEPS",
    "UI_LIST_FLOWS",
    "UI_RUN_FINGERPRINTS",
    "UNLISTEN_ALL",
    "UNRETIRE_FLOW",
    "VERIFY_FLOW",
    "WORKER_REGISTERED",
    "parse_queries",
]

_NAME_LINE = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, str]:
    """Split a ``-- name:`` annotated SQL file into ``{name: sql}``.

    Comment lines inside a block are kept out of the query text; text before
    the first name line is the file's header and is ignored.
    """
    queries: dict[str, str] = {}
    marks = list(_NAME_LINE.finditer(text))
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        body = text[mark.end() : end]
        lines = [line for line in body.splitlines() if not line.lstrip().startswith("--")]
        sql = "\n".join(lines).strip()
        name = mark.group(1)
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice in queries.sql")
        if not sql:
            raise ValueError(f"query {name!r} in queries.sql is empty")
        queries[name] = sql
    return queries


def _load() -> Mapping[str, LiteralString]:
    text = resources.files("pgflow").joinpath("queries.sql").read_text(encoding="utf-8")
    # The file ships inside the package and is never built from user input,
    # so its text is as literal as a string constant (mypy treats
    # LiteralString as str; a checker that does not would need a cast here).
    literal: dict[str, LiteralString] = dict(parse_queries(text))
    return MappingProxyType(literal)


QUERIES: Final = _load()
"""Every named query, by name."""

CLAIM_TASKS: Final = QUERIES["claim_tasks"]
NEXT_TASK_VISIBLE_AT: Final = QUERIES["next_task_visible_at"]
COMPLETE_TASK: Final = QUERIES["complete_task"]
COMPLETE_TASKS: Final = QUERIES["complete_tasks"]
FAIL_TASK: Final = QUERIES["fail_task"]
REGISTER_WORKER: Final = QUERIES["register_worker"]
EXTEND_LEASES: Final = QUERIES["extend_leases"]
SERVE_STEPS: Final = QUERIES["serve_steps"]
STALE_FLOWS: Final = QUERIES["stale_flows"]
HEARTBEAT_WORKER: Final = QUERIES["heartbeat_worker"]
STOP_WORKER: Final = QUERIES["stop_worker"]
VERIFY_FLOW: Final = QUERIES["verify_flow"]
LISTEN_TASKS: Final = QUERIES["listen_tasks"]
LISTEN_RUNS: Final = QUERIES["listen_runs"]
UNLISTEN_ALL: Final = QUERIES["unlisten_all"]
START_FLOW: Final = QUERIES["start_flow"]
CANCEL_RUN: Final = QUERIES["cancel_run"]
GET_RUN: Final = QUERIES["get_run"]
GET_RUNS: Final = QUERIES["get_runs"]
GET_RUN_STATUSES: Final = QUERIES["get_run_statuses"]
READ_SNAPSHOT: Final = QUERIES["read_snapshot"]
GET_STEP_STATES: Final = QUERIES["get_step_states"]
GET_STEP_TASKS: Final = QUERIES["get_step_tasks"]
INSTALLED_STATE: Final = QUERIES["installed_state"]
CREATE_EXTENSION: Final = QUERIES["create_extension"]
READ_FLOW_SHAPE: Final = QUERIES["read_flow_shape"]
ALLOW_DROP_FLOW: Final = QUERIES["allow_drop_flow"]
DROP_FLOW: Final = QUERIES["drop_flow"]
CREATE_DATABASE: Final = QUERIES["create_database"]
CREATE_DATABASE_FROM_TEMPLATE: Final = QUERIES["create_database_from_template"]
DROP_DATABASE: Final = QUERIES["drop_database"]
WORKER_REGISTERED: Final = QUERIES["worker_registered"]
RETRY_RUN: Final = QUERIES["retry_run"]
GET_RUN_ATTEMPTS: Final = QUERIES["get_run_attempts"]
SERVER_NOW: Final = QUERIES["server_now"]
LIST_RUNS: Final = QUERIES["list_runs"]
GET_FLOW: Final = QUERIES["get_flow"]
RETIRE_FLOW: Final = QUERIES["retire_flow"]
UNRETIRE_FLOW: Final = QUERIES["unretire_flow"]
PRUNE_RUNS: Final = QUERIES["prune_runs"]
PRUNE_WORKERS: Final = QUERIES["prune_workers"]
LIST_WORKERS: Final = QUERIES["list_workers"]
STEP_LIMITS: Final = QUERIES["step_limits"]
SET_STEP_LIMITS: Final = QUERIES["set_step_limits"]

# pgflow ui (issue 16)
UI_LIST_FLOWS: Final = QUERIES["ui_list_flows"]
UI_FLOW_STEPS: Final = QUERIES["ui_flow_steps"]
UI_RUN_FINGERPRINTS: Final = QUERIES["ui_run_fingerprints"]
UI_CURRENT_ROLE: Final = QUERIES["ui_current_role"]
UI_LIMIT_USE: Final = QUERIES["ui_limit_use"]
FLOW_SECRET_INPUT: Final = QUERIES["flow_secret_input"]
