"""Part ``kill``: SIGKILL of worker processes under load, each replaced at once.

Several workers serve ``chaos_mix`` (a lease of 3 s) while runs are started
at a steady rate; every ``kill_interval`` seconds a random worker gets
SIGKILL (its handlers die mid-task, nothing is reported) and a new one is
started. Once the kills stop, every run must complete, each task exactly
once, with an output from a real execution (see workload.verify).
"""

from __future__ import annotations

import random
import time

from tests.chaos import workload
from tests.chaos.harness.db import Roles, connect, scratch_database
from tests.chaos.harness.figures import Figures
from tests.chaos.harness.scale import Scale
from tests.chaos.harness.workers import WorkerPool

__all__ = ["run"]

WORKER_OPTIONS = ["--concurrency", "6", "--batch-size", "6", "--poll-interval", "1"]
# An ERROR line, a traceback or a crash is unexpected.
LOG_PROBLEMS = r"\b(ERROR|CRITICAL)\b|Traceback|crashed"


def run(server_url: str, roles: Roles, scale: Scale, seed: int) -> Figures:
    figures = Figures("kill")
    rng = random.Random(seed)
    with scratch_database(server_url, "kill") as url, connect(url) as admin:
        workload.prepare(admin, roles)
        pool = WorkerPool(["Mix"], roles.url(url, roles.worker), WORKER_OPTIONS, admin_url=url)
        starter = workload.RunStarter(
            roles.url(url, roles.client), scale.kill_runs_per_second, seed
        )
        try:
            pool.start(scale.kill_workers)
            starter.start()
            for _ in range(scale.kills):
                time.sleep(scale.kill_interval)
                if pool.kill_random(rng) is not None:
                    figures.faults += 1
                pool.spawn(wait=False)
                figures.unexpected_errors.extend(pool.reap())
            starter.stop()
            figures.unexpected_errors.extend(starter.errors)
            left = workload.wait_finished(url, list(starter.runs), scale.drain_timeout)
            if left:
                figures.note(f"{left} run(s) still unfinished after {scale.drain_timeout:.0f} s")
            figures.unexpected_errors.extend(pool.stop_all())
            figures.unexpected_errors.extend(pool.log_problems(LOG_PROBLEMS))
            workload.verify(admin, starter.runs, figures)
        finally:
            if starter.is_alive():
                starter.stop()
            pool.stop_all()
            pool.close()
    return figures
