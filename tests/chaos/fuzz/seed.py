"""The state the fuzzer starts from: flows of every kind, runs in every status."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb
from tests.chaos.fuzz.values import Known
from tests.chaos.harness.db import Conn

__all__ = ["read_known", "seed_state"]

FLOWS = """
select pgflow.create_flow('fz_chain', max_attempts => 3, base_delay => 0, timeout => 60);
select pgflow.add_step('fz_chain', 'a');
select pgflow.add_step('fz_chain', 'b', deps => array['a']);
select pgflow.add_step('fz_chain', 'c', deps => array['b']);
select pgflow.create_flow('fz_map', max_attempts => 2, base_delay => 0, timeout => 60);
select pgflow.add_step('fz_map', 'm', step_type => 'map');
select pgflow.add_step('fz_map', 'after', deps => array['m']);
select pgflow.create_flow('fz_cond', max_attempts => 1, base_delay => 0, timeout => 60);
select pgflow.add_step('fz_cond', 'a');
select pgflow.add_step('fz_cond', 'b', deps => array['a'], run_if => '{"run": {"go": true}}');
select pgflow.add_step('fz_cond', 'c', deps => array['b'], when_exhausted => 'skip');
select pgflow.create_flow('fz_delay', timeout => 60);
select pgflow.add_step('fz_delay', 'later', delay_seconds => 3600);
"""

INPUTS: dict[str, list[Any]] = {
    "fz_chain": [{}, {"x": 1}, {"run": "shadow"}],
    "fz_map": [[1, 2, 3], [], [{"a": 1}]],
    "fz_cond": [{"go": True}, {"go": False}, {}],
    "fz_delay": [{}],
}


def seed_state(admin: Conn, worker: Conn, client: Conn) -> None:
    """Flows (as the owner), runs (as the client), claims, results and failures (as a worker)."""
    admin.execute(FLOWS)
    for flow, inputs in INPUTS.items():
        for run_input in inputs:
            client.execute("select pgflow.start_flow(%s, %s)", (flow, Jsonb(run_input)))
    worker_id = uuid4()
    worker.execute("select pgflow.register_worker(%s, null, 'fuzz', 1)", (worker_id,))
    claims = worker.execute(
        "select run_id, step_slug, task_index, attempt from pgflow.claim_tasks(%s, 100)",
        (worker_id,),
    ).fetchall()
    # a third completed, a third failed, a third left started
    for i, (run_id, step, index, attempt) in enumerate(claims):
        if i % 3 == 0:
            worker.execute(
                "select pgflow.complete_task(%s, %s, %s, %s, %s)",
                (run_id, step, Jsonb({"seeded": i}), index, attempt),
            )
        elif i % 3 == 1:
            worker.execute(
                "select pgflow.fail_task(%s, %s, 'seeded failure', %s, %s)",
                (run_id, step, index, attempt),
            )


def read_known(admin: Conn) -> Known:
    def column(query: str) -> list[object]:
        return [row[0] for row in admin.execute(query).fetchall()]

    flow_slugs = [str(v) for v in column("select flow_slug from pgflow.flows order by 1 limit 30")]
    step_slugs = [
        str(v) for v in column("select distinct step_slug from pgflow.steps order by 1 limit 30")
    ]
    run_ids = [
        UUID(str(v)) for v in column("select run_id from pgflow.runs order by random() limit 30")
    ]
    worker_ids = [UUID(str(v)) for v in column("select worker_id from pgflow.workers limit 5")]
    return Known(flow_slugs, step_slugs, run_ids, worker_ids)
