"""Part ``crash``: crash-restarts of the PostgreSQL server under load.

The suite starts a server of its own, runs workers and a client starting
runs against it, and every ``crash_interval`` seconds stops it with
``pg_ctl stop -m immediate`` (every backend killed, no checkpoint) and starts
it again (crash recovery). Workers and the client must reconnect; once the
crashes stop every run must complete, each task exactly once, with an output
from a real execution (see workload.verify).
"""

from __future__ import annotations

import random
import time

from tests.chaos import workload
from tests.chaos.harness.cluster import own_cluster
from tests.chaos.harness.db import Roles, connect, create_roles, scratch_database
from tests.chaos.harness.figures import Figures
from tests.chaos.harness.scale import Scale
from tests.chaos.harness.workers import WorkerPool

__all__ = ["run"]

WORKER_OPTIONS = ["--concurrency", "6", "--batch-size", "6", "--poll-interval", "1"]
# Connection errors are logged at ERROR while the server is down; a traceback
# or a crashed loop is not expected.
LOG_PROBLEMS = r"\bCRITICAL\b|Traceback|crashed"


def run(server_url: str, roles: Roles, scale: Scale, seed: int) -> Figures:
    """``server_url`` and ``roles`` belong to the shared server: this part uses its own."""
    del server_url, roles
    figures = Figures("crash")
    rng = random.Random(seed)
    with own_cluster() as cluster:
        with connect(cluster.url) as admin:
            own_roles = create_roles(admin)
        with scratch_database(cluster.url, "crash") as url:
            with connect(url) as admin:
                workload.prepare(admin, own_roles)
            pool = WorkerPool(
                ["Mix"], own_roles.url(url, own_roles.worker), WORKER_OPTIONS, admin_url=url
            )
            starter = workload.RunStarter(
                own_roles.url(url, own_roles.client), scale.crash_runs_per_second, seed
            )
            try:
                pool.start(scale.crash_workers)
                starter.start()
                for _ in range(scale.crashes):
                    time.sleep(scale.crash_interval * rng.uniform(0.7, 1.3))
                    cluster.crash()
                    figures.faults += 1
                    time.sleep(rng.uniform(0.2, 1.5))
                    cluster.start()
                    figures.unexpected_errors.extend(pool.reap())
                time.sleep(scale.crash_interval)
                starter.stop()
                figures.unexpected_errors.extend(starter.errors)
                figures.note(f"the client retried {starter.retries} start(s) during crashes")
                left = workload.wait_finished(url, list(starter.runs), scale.drain_timeout)
                if left:
                    figures.note(f"{left} run(s) unfinished after {scale.drain_timeout:.0f} s")
                figures.unexpected_errors.extend(pool.stop_all())
                figures.unexpected_errors.extend(pool.log_problems(LOG_PROBLEMS))
                with connect(url) as admin:
                    workload.verify(admin, starter.runs, figures)
            except Exception:
                print(f"server log (tail):\n{cluster.log_tail()}")
                raise
            finally:
                if starter.is_alive():
                    starter.stop()
                pool.stop_all()
                pool.close()
    return figures
