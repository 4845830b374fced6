"""The load under which workers are killed and the server crashes, and its verdict.

Runs of ``chaos_mix`` are started at a steady rate by the client role while
faults are injected; once the faults stop, every run must complete, every
task exactly once, each completed output coming from a recorded execution of
an attempt that was actually claimed, and join's total must be the one its
run input implies.
"""

from __future__ import annotations

import random
import threading
import time
from uuid import UUID, uuid4

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from tests.chaos import flows
from tests.chaos.harness import audit, invariants
from tests.chaos.harness.db import Conn, Roles, connect
from tests.chaos.harness.figures import Figures

from pgflow import deploy_flow

__all__ = ["RunStarter", "prepare", "verify", "wait_finished"]


def prepare(admin: Conn, roles: Roles) -> None:
    """Effects table (writable by the worker role), audit triggers, the Mix flow."""
    admin.execute(flows.EFFECTS_TABLE)
    worker = sql.Identifier(roles.worker)
    admin.execute(sql.SQL("grant insert on chaos_effects to {}").format(worker))
    admin.execute(sql.SQL("grant usage on chaos_effects_id_seq to {}").format(worker))
    audit.install_audit(admin)
    deploy_flow(admin, flows.Mix)


class RunStarter(threading.Thread):
    """Starts Mix runs at ``rate`` per second as the client role until stopped.

    Run ids are chosen here, so a start whose connection died mid-call is
    simply repeated with the same id (``start_flow`` is idempotent on it).
    """

    def __init__(self, client_url: str, rate: float, seed: int) -> None:
        super().__init__(name="run-starter", daemon=True)
        self.client_url = client_url
        self.rate = rate
        self.rng = random.Random(seed)
        self.runs: dict[UUID, tuple[int, int]] = {}
        self.retries = 0
        self.errors: list[str] = []
        self._stop_event = threading.Event()
        self._conn: Conn | None = None

    def stop(self) -> None:
        self._stop_event.set()
        self.join(60)

    def run(self) -> None:
        next_at = time.monotonic()
        while not self._stop_event.is_set():
            self.start_one()
            next_at += 1.0 / self.rate
            self._stop_event.wait(max(0.0, next_at - time.monotonic()))
        if self._conn is not None:
            self._conn.close()

    def start_one(self) -> None:
        run_id = uuid4()
        n, k = len(self.runs), self.rng.randint(1, 4)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = connect(self.client_url)
                self._conn.execute(
                    "select pgflow.start_flow(%s, %s, %s)",
                    ("chaos_mix", Jsonb({"n": n, "k": k}), run_id),
                )
                self.runs[run_id] = (n, k)
                return
            except psycopg.OperationalError as error:
                # The server is down (crash part): retry the same run id.
                self.retries += 1
                if time.monotonic() > deadline:
                    self.errors.append(f"could not start a run for 60 s: {error}")
                    return
                time.sleep(0.2)
            except psycopg.Error as error:
                self.errors.append(f"start_flow failed: {error.sqlstate} {error}")
                return


def wait_finished(admin_url: str, run_ids: list[UUID], timeout: float) -> int:
    """Wait until no run of ``run_ids`` is started; returns how many still are."""
    deadline = time.monotonic() + timeout
    left = len(run_ids)
    while True:
        try:
            with connect(admin_url) as conn:
                while True:
                    row = conn.execute(
                        "select count(*) from pgflow.runs"
                        " where run_id = any(%s) and status = 'started'",
                        (run_ids,),
                    ).fetchone()
                    left = 0 if row is None else int(row[0])
                    if left == 0 or time.monotonic() > deadline:
                        return left
                    time.sleep(0.5)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                return left
            time.sleep(0.5)


RUNS = """
select r.run_id, r.status, r.output -> 'join' ->> 'total', r.error_message,
    (select count(*) from pgflow.step_tasks as t where t.run_id = r.run_id)
from pgflow.runs as r
where r.run_id = any(%s)
"""

TASKS = """
select t.run_id, t.step_slug, t.task_index, t.status, t.attempts_count, e.attempt, k.token
from pgflow.step_tasks as t
-- step a returns a list whose elements carry its token; the others an object
cross join lateral (
    select coalesce(t.output ->> 'token', t.output -> 0 ->> 'token') as token
) as k
left join chaos_effects as e
    on e.token = k.token
    and e.run_id = t.run_id and e.step_slug = t.step_slug and e.task_index = t.task_index
where t.run_id = any(%s)
order by t.run_id, t.step_slug, t.task_index
"""


def verify(admin: Conn, runs: dict[UUID, tuple[int, int]], figures: Figures) -> None:
    """Losses, double completions and invariant violations of the finished workload."""
    ids = list(runs)
    seen: set[UUID] = set()
    for run_id, status, total, error, tasks in admin.execute(RUNS, (ids,)).fetchall():
        seen.add(run_id)
        n, k = runs[run_id]
        if status != "completed":
            figures.losses.append(f"run {run_id} (n={n}, k={k}) is {status}: {error}")
        elif total is None or int(total) != flows.expected_total(n, k):
            figures.losses.append(
                f"run {run_id}: total {total}, expected {flows.expected_total(n, k)}"
            )
        if int(tasks) != 3 + k:
            figures.losses.append(f"run {run_id} has {tasks} task(s), expected {3 + k}")
    figures.losses.extend(f"run {run_id} is missing" for run_id in set(ids) - seen)

    for run_id, step, index, status, attempts, attempt, token in admin.execute(
        TASKS, (ids,)
    ).fetchall():
        figures.tasks_checked += 1
        where = f"task {run_id}/{step}/{index}"
        if status != "completed":
            figures.losses.append(f"{where} is {status} after {attempts} attempt(s)")
        elif attempt is None:
            figures.losses.append(f"{where}: output token {token} matches no recorded execution")
        elif attempt > attempts:
            figures.losses.append(f"{where}: output of attempt {attempt}, only {attempts} claimed")

    figures.double_completions.extend(audit.double_completions(admin))
    figures.check_none(invariants.violations(admin))
    row = admin.execute(
        "select (select count(*) from chaos_effects),"
        " (select count(distinct pid) from chaos_effects),"
        " count(*) filter (where attempts_count > 1), coalesce(max(attempts_count), 0)"
        " from pgflow.step_tasks where run_id = any(%s)",
        (ids,),
    ).fetchone()
    if row is not None:
        figures.note(
            f"{len(runs)} runs, {figures.tasks_checked} tasks, {row[0]} recorded handler results "
            f"from {row[1]} worker processes; {row[2]} task(s) needed more than one attempt "
            f"(most: {row[3]})"
        )
