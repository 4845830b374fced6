"""The race scenarios: a set-up, the racers released together, and the legal outcomes.

Each scenario states every outcome the contract allows; anything else (or
any error raised by a racer) is reported. Exactly-once is also witnessed by
the audit triggers and the invariants checked after all scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from tests.chaos.harness.db import Conn
from tests.chaos.races.arena import Arena, Claim, Outcome, Racer

__all__ = ["SCENARIOS", "Scenario"]

SINGLE = [("s", (), "single")]


@dataclass
class State:
    flow: str
    runs: list[UUID]
    claims: list[Claim]


class Scenario:
    """Base: one single-step run claimed once by worker 0."""

    name = "scenario"
    max_attempts = 3
    timeout = 60
    lease_wait = 0.0
    """Seconds to sleep between the set-ups and the races (lets leases expire)."""

    def setup(self, arena: Arena) -> State:
        flow = arena.flow(SINGLE, max_attempts=self.max_attempts, timeout=self.timeout)
        run_id = arena.start(flow)
        return State(flow, [run_id], arena.claim(arena.workers[0], flow))

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        raise NotImplementedError

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        raise NotImplementedError


def completed_with(arena: Arena, state: State, outputs: list[Any]) -> list[str]:
    """The single task is completed with one of ``outputs`` and so is the run."""
    task = arena.task(state.runs[0], "s")
    status, output = arena.run_state(state.runs[0])
    if task.status != "completed" or task.output not in outputs:
        return [f"task is {task.status} with output {task.output}, expected one of {outputs}"]
    if status != "completed" or output != {"s": task.output}:
        return [f"task completed but run is {status} with output {output}"]
    return []


def one_of(arena: Arena, state: State, allowed: list[tuple[str, str]]) -> list[str]:
    """(run status, task status) is one of ``allowed``."""
    task = arena.task(state.runs[0], "s")
    status, _ = arena.run_state(state.runs[0])
    if (status, task.status) not in allowed:
        return [f"run {status} with task {task.status}; allowed: {allowed}"]
    if task.status != "completed" and task.output is not None:
        return [f"task {task.status} kept an output {task.output}"]
    return []


class CompleteTwice(Scenario):
    name = "complete vs complete"

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]
        return [
            (arena.workers[0], lambda c: arena.complete(c, claim, {"by": 0})),
            (arena.workers[1], lambda c: arena.complete(c, claim, {"by": 1})),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        return completed_with(arena, state, [{"by": 0}, {"by": 1}])


class CompleteVsFail(Scenario):
    """A failure that wins queues a retry; the same attempt's result is still valid."""

    name = "complete vs fail"

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]
        return [
            (arena.workers[0], lambda c: arena.complete(c, claim, {"ok": True})),
            (arena.workers[1], lambda c: arena.fail(c, claim)),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        return completed_with(arena, state, [{"ok": True}])


class CompleteVsFailLast(CompleteVsFail):
    name = "complete vs fail (last attempt)"
    max_attempts = 1

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        problems = one_of(arena, state, [("completed", "completed"), ("failed", "failed")])
        return problems or (
            completed_with(arena, state, [{"ok": True}])
            if arena.run_state(state.runs[0])[0] == "completed"
            else []
        )


class CompleteVsCancel(Scenario):
    name = "complete vs cancel"

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]
        return [
            (arena.workers[0], lambda c: arena.complete(c, claim, {"ok": True})),
            (arena.clients[0], lambda c: arena.cancel(c, claim.run_id)),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        return one_of(arena, state, [("completed", "completed"), ("cancelled", "cancelled")])


class FailVsCancel(Scenario):
    name = "fail vs cancel (last attempt)"
    max_attempts = 1

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]
        return [
            (arena.workers[0], lambda c: arena.fail(c, claim)),
            (arena.clients[0], lambda c: arena.cancel(c, claim.run_id)),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        return one_of(arena, state, [("failed", "failed"), ("cancelled", "cancelled")])


class ClaimVsCancel(Scenario):
    """A claim that wins against a cancel holds a task whose result is then a no-op."""

    name = "claim vs cancel"

    def setup(self, arena: Arena) -> State:
        flow = arena.flow(SINGLE)
        return State(flow, [arena.start(flow)], [])

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        return [
            (arena.workers[0], lambda c: arena.claim(c, state.flow)),
            (arena.clients[0], lambda c: arena.cancel(c, state.runs[0])),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        claims: list[Claim] = outcomes[0].value or []
        for claim in claims:
            arena.complete(arena.workers[1], claim, {"late": True})
        return one_of(arena, state, [("cancelled", "cancelled")])


class LeaseExpiry(Scenario):
    """Worker 0's lease expired: its late result, a re-claim and a stale failure race."""

    name = "late complete vs re-claim vs stale fail (expired lease)"
    timeout = 1
    max_attempts = 5
    lease_wait = 1.3

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]

        def reclaim_and_complete(conn: Conn) -> Any:
            return [
                arena.complete(conn, c, {"by": "reclaim"}) for c in arena.claim(conn, state.flow)
            ]

        return [
            (arena.workers[0], lambda c: arena.complete(c, claim, {"by": "late"})),
            (arena.workers[1], reclaim_and_complete),
            (arena.workers[2], lambda c: arena.fail(c, claim)),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        return completed_with(arena, state, [{"by": "late"}, {"by": "reclaim"}])


class ExpiryOnLastAttempt(Scenario):
    """The last attempt's lease expired: its late result races the claim that fails it."""

    name = "late complete vs expiry of the last attempt"
    timeout = 1
    max_attempts = 1
    lease_wait = 1.3

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]
        return [
            (arena.workers[0], lambda c: arena.complete(c, claim, {"ok": True})),
            (arena.workers[1], lambda c: arena.claim(c, state.flow)),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        return one_of(arena, state, [("completed", "completed"), ("failed", "failed")])


class FourWay(Scenario):
    """An expired lease: its late result, its failure, a cancel and a re-claim, all at once."""

    name = "late complete vs fail vs cancel vs re-claim (expired lease)"
    timeout = 1
    max_attempts = 5
    lease_wait = 1.3

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        claim = state.claims[0]

        def reclaim_and_complete(conn: Conn) -> Any:
            claims = arena.claim(conn, state.flow)
            return [arena.complete(conn, c, {"by": "reclaim"}) for c in claims]

        return [
            (arena.workers[0], lambda c: arena.complete(c, claim, {"by": "late"})),
            (arena.workers[1], lambda c: arena.fail(c, claim)),
            (arena.clients[0], lambda c: arena.cancel(c, claim.run_id)),
            (arena.workers[2], reclaim_and_complete),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        if arena.run_state(state.runs[0])[0] == "cancelled":
            return one_of(arena, state, [("cancelled", "cancelled")])
        return completed_with(arena, state, [{"by": "late"}, {"by": "reclaim"}])


MAP_WIDTH = 6


class MapSiblings(Scenario):
    """Every element of a map completed at once, one by one and in one batch."""

    name = "map siblings: single completions vs a batch"

    def setup(self, arena: Arena) -> State:
        flow = arena.flow([("m", (), "map"), ("after", ("m",), "single")])
        run_id = arena.start(flow, list(range(MAP_WIDTH)))
        return State(flow, [run_id], arena.claim(arena.workers[0], flow))

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        racers: list[Racer] = [
            (arena.workers[i], partial(arena.complete, claim=claim, output={"by": "one"}))
            for i, claim in enumerate(state.claims)
        ]

        def batch(conn: Conn) -> Any:
            claims = state.claims
            return conn.execute(
                "select pgflow.complete_tasks(%s, %s, %s, %s, %s)",
                (
                    [c.run_id for c in claims],
                    [c.step_slug for c in claims],
                    [Jsonb({"by": "batch"}) for _ in claims],
                    [c.task_index for c in claims],
                    [c.attempt for c in claims],
                ),
            ).fetchone()

        return [*racers, (arena.workers[len(state.claims)], batch)]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        if len(state.claims) != MAP_WIDTH:
            return [f"claimed {len(state.claims)} map tasks, expected {MAP_WIDTH}"]
        row = arena.admin.execute(
            "select m.status, m.output, a.status,"
            " (select count(*) from pgflow.step_tasks as t"
            "  where t.run_id = a.run_id and t.step_slug = 'after' and t.status = 'queued')"
            " from pgflow.step_states as m join pgflow.step_states as a using (run_id)"
            " where m.run_id = %s and m.step_slug = 'm' and a.step_slug = 'after'",
            (state.runs[0],),
        ).fetchone()
        if row is None:
            return ["no step states"]
        status, output, after, queued = row
        if status != "completed" or not isinstance(output, list) or len(output) != MAP_WIDTH:
            return [f"map step is {status} with output {output}"]
        if any(item not in ({"by": "one"}, {"by": "batch"}) for item in output):
            return [f"map output {output} holds something nobody sent"]
        if after != "started" or queued != 1:
            return [f"dependent step is {after} with {queued} queued task(s)"]
        return []


class ClaimThrice(Scenario):
    """Three workers claim the same five tasks at once: each is leased to exactly one."""

    name = "claim vs claim vs claim"
    RUNS = 5

    def setup(self, arena: Arena) -> State:
        flow = arena.flow(SINGLE)
        return State(flow, [arena.start(flow) for _ in range(self.RUNS)], [])

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        return [(arena.workers[i], lambda c: arena.claim(c, state.flow)) for i in range(3)]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        claims = [claim for o in outcomes for claim in (o.value or [])]
        keys = sorted(str(c.run_id) for c in claims)
        if keys != sorted(str(r) for r in state.runs) or any(c.attempt != 1 for c in claims):
            return [f"claims {claims} for runs {state.runs}"]
        return []


class BatchVsCancel(Scenario):
    """A batch completing tasks of two runs while one of them is cancelled."""

    name = "complete_tasks of two runs vs cancel of one"

    def setup(self, arena: Arena) -> State:
        flow = arena.flow(SINGLE)
        runs = [arena.start(flow), arena.start(flow)]
        return State(flow, runs, arena.claim(arena.workers[0], flow))

    def racers(self, arena: Arena, state: State) -> list[Racer]:
        def batch(conn: Conn) -> Any:
            claims = state.claims
            return conn.execute(
                "select pgflow.complete_tasks(%s, %s, %s, %s, %s)",
                (
                    [c.run_id for c in claims],
                    [c.step_slug for c in claims],
                    [Jsonb({"ok": True}) for _ in claims],
                    [c.task_index for c in claims],
                    [c.attempt for c in claims],
                ),
            ).fetchone()

        return [
            (arena.workers[0], batch),
            (arena.clients[0], lambda c: arena.cancel(c, state.runs[0])),
        ]

    def check(self, arena: Arena, state: State, outcomes: list[Outcome]) -> list[str]:
        first = one_of(arena, state, [("completed", "completed"), ("cancelled", "cancelled")])
        second = arena.run_state(state.runs[1])
        if second != ("completed", {"s": {"ok": True}}):
            first.append(f"the run nobody cancelled is {second}")
        return first


SCENARIOS: list[Scenario] = [
    CompleteTwice(),
    CompleteVsFail(),
    CompleteVsFailLast(),
    CompleteVsCancel(),
    FailVsCancel(),
    ClaimVsCancel(),
    LeaseExpiry(),
    ExpiryOnLastAttempt(),
    FourWay(),
    MapSiblings(),
    ClaimThrice(),
    BatchVsCancel(),
]
