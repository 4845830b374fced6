"""Flow control under real concurrency (issue 13): limits hold whatever the timing.

Eight claimer threads, each with its own connection, loop claim_tasks ->
(hold the task a moment) -> complete_task. A monitor connection samples the
committed state (the started tasks per bucket) as fast as it can: every sample
is one consistent snapshot, so a sample over the limit is a real violation.
The claimers also record each task's interval from the moment its claim
returned to the moment they sent its completion (inside the real started
interval), and those intervals are checked for overlaps too.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from pgflow.errors import ClaimIsolationError, translate

Connect = Callable[[], psycopg.Connection[TupleRow]]

CLAIMERS = 8


def map_flow(conn: psycopg.Connection[TupleRow], flow_slug: str, **limits: Any) -> None:
    conn.execute("select pgflow.create_flow(%s, max_attempts => 3, timeout => 60)", [flow_slug])
    conn.execute(
        """
        select pgflow.add_step(%(flow)s, 'each', step_type => 'map',
            concurrency => %(concurrency)s, concurrency_key => %(key)s::text[],
            rate_limit => %(rate_limit)s, rate_period => %(rate_period)s)
        """,
        {
            "flow": flow_slug,
            "concurrency": limits.get("concurrency"),
            "key": limits.get("concurrency_key"),
            "rate_limit": limits.get("rate_limit"),
            "rate_period": limits.get("rate_period"),
        },
    )


def start(
    conn: psycopg.Connection[TupleRow], flow_slug: str, items: list[Any], priority: int = 0
) -> uuid.UUID:
    row = conn.execute(
        "select run_id from pgflow.start_flow(%s, %s, priority => %s)",
        [flow_slug, Jsonb(items), priority],
    ).fetchone()
    assert row is not None
    run_id: uuid.UUID = row[0]
    return run_id


@dataclass
class Audit:
    max_started: int = 0
    max_per_bucket: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    intervals: list[tuple[float, float, str]] = field(default_factory=list)
    claimed: int = 0
    errors: list[BaseException] = field(default_factory=list)


def hammer(
    connect: Connect,
    flow_slug: str,
    *,
    total: int,
    hold: float,
    batch: int = 2,
    seconds: float = 60.0,
) -> Audit:
    """Claim and complete `flow_slug`'s tasks with CLAIMERS threads until `total` are done."""
    audit = Audit()
    lock = threading.Lock()
    done = threading.Event()
    deadline = time.monotonic() + seconds
    claim_conns = [connect() for _ in range(CLAIMERS)]
    monitor_conn = connect()

    def claimer(conn: psycopg.Connection[TupleRow]) -> None:
        worker_id = uuid.uuid4()
        try:
            while not done.is_set() and time.monotonic() < deadline:
                rows = conn.execute(
                    "select run_id, step_slug, task_index, attempt, input"
                    " from pgflow.claim_tasks(%s, %s, array[%s])",
                    [worker_id, batch, flow_slug],
                ).fetchall()
                claimed_at = time.monotonic()
                if not rows:
                    time.sleep(0.002)
                    continue
                time.sleep(hold)
                for run_id, step_slug, task_index, attempt, task_input in rows:
                    finished_at = time.monotonic()
                    conn.execute(
                        "select pgflow.complete_task(%s, %s, %s, %s, %s)",
                        [run_id, step_slug, Jsonb(task_input), task_index, attempt],
                    )
                    bucket = task_input.get("tenant", "") if isinstance(task_input, dict) else ""
                    with lock:
                        audit.intervals.append((claimed_at, finished_at, str(bucket)))
                        audit.claimed += 1
                        if audit.claimed >= total:
                            done.set()
        except BaseException as error:  # reported by the test
            audit.errors.append(error)
            done.set()

    def monitor() -> None:
        while not done.is_set() and time.monotonic() < deadline:
            rows = monitor_conn.execute(
                "select coalesce(limit_bucket, ''), count(*)::int from pgflow.step_tasks"
                " where flow_slug = %s and status = 'started' group by 1",
                [flow_slug],
            ).fetchall()
            audit.samples += 1
            audit.max_started = max(audit.max_started, sum(count for _, count in rows))
            for bucket, count in rows:
                audit.max_per_bucket[bucket] = max(audit.max_per_bucket[bucket], count)

    threads = [threading.Thread(target=claimer, args=(c,)) for c in claim_conns]
    threads.append(threading.Thread(target=monitor))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not audit.errors, audit.errors
    return audit


def max_overlap(intervals: list[tuple[float, float, str]]) -> dict[str, int]:
    """The most intervals open at once, per bucket."""
    events: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for begin, end, bucket in intervals:
        events[bucket] += [(begin, 1), (end, -1)]
    result: dict[str, int] = {}
    for bucket, points in events.items():
        open_now = peak = 0
        for _, delta in sorted(points, key=lambda p: (p[0], p[1])):  # ends before begins on ties
            open_now += delta
            peak = max(peak, open_now)
        result[bucket] = peak
    return result


def test_eight_claimers_never_start_more_tasks_than_the_concurrency_limit(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "capped", concurrency=3)
    start(conn, "capped", list(range(90)))

    audit = hammer(connect, "capped", total=90, hold=0.01)

    assert audit.claimed == 90, "every task ran once"
    assert audit.max_started <= 3, f"a snapshot saw {audit.max_started} started tasks"
    assert audit.max_started == 3, "the limit was reached, so the test could have caught a breach"
    assert max_overlap([(b, e, "") for b, e, _ in audit.intervals])[""] <= 3
    assert audit.samples > 20


def test_a_per_key_limit_of_one_never_runs_two_tasks_of_one_tenant_at_once(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "tenants", concurrency=1, concurrency_key=["tenant"])
    items = [{"tenant": f"t{i % 5}", "n": i} for i in range(75)]
    start(conn, "tenants", items)

    audit = hammer(connect, "tenants", total=75, hold=0.01)

    assert audit.claimed == 75
    assert set(audit.max_per_bucket) == {f'"t{i}"' for i in range(5)}
    assert max(audit.max_per_bucket.values()) == 1, audit.max_per_bucket
    assert all(peak <= 1 for peak in max_overlap(audit.intervals).values())
    assert audit.max_started >= 2, "different tenants ran in parallel"


def test_a_rate_limit_of_20_per_second_holds_in_every_window_over_five_seconds(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "rated", rate_limit=20, rate_period=1)
    # the log is pruned as it goes: keep a copy of every start it records
    conn.execute("create table public.start_audit (started_at timestamptz not null)")
    conn.execute(
        """
        create function public.audit_start() returns trigger language plpgsql as $$
        begin
            insert into public.start_audit values (new.started_at);
            return null;
        end $$
        """
    )
    conn.execute(
        "create trigger audit_start after insert on pgflow.task_starts"
        " for each row execute function public.audit_start()"
    )
    start(conn, "rated", list(range(400)))

    hammer(connect, "rated", total=400, hold=0.0, batch=3, seconds=5.0)

    starts = [
        row[0] for row in conn.execute("select started_at from public.start_audit order by 1")
    ]
    window = 1.0
    worst = 0
    for i, first in enumerate(starts):
        in_window = sum(1 for s in starts[i:] if (s - first).total_seconds() < window)
        worst = max(worst, in_window)
    assert worst <= 20, f"{worst} starts within one second"
    assert worst == 20, "the limit was reached"
    assert 80 <= len(starts) <= 120, f"{len(starts)} starts in 5 s at 20/s"


def test_a_tenant_with_a_huge_backlog_does_not_starve_another(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "fair", concurrency=1, concurrency_key=["tenant"])
    start(conn, "fair", [{"tenant": "A"}] * 10_000 + [{"tenant": "B"}] * 10)
    claimer = connect()
    worker_id = uuid.uuid4()
    b_started_in_round: list[int] = []
    for round_number in range(1, 16):
        rows = claimer.execute(
            "select run_id, step_slug, task_index, attempt, input"
            " from pgflow.claim_tasks(%s, 10, array['fair'])",
            [worker_id],
        ).fetchall()
        assert Counter(row[4]["tenant"] for row in rows).most_common(1)[0][1] == 1
        for run_id, step_slug, task_index, attempt, task_input in rows:
            if task_input["tenant"] == "B":
                b_started_in_round.append(round_number)
            claimer.execute(
                "select pgflow.complete_task(%s, %s, %s, %s, %s)",
                [run_id, step_slug, Jsonb(None), task_index, attempt],
            )
    assert len(b_started_in_round) == 10, "all of B's tasks started in 15 claim rounds"
    assert b_started_in_round == list(range(b_started_in_round[0], b_started_in_round[0] + 10)), (
        "one of B's tasks started in every round once its first did"
    )
    assert b_started_in_round[0] <= 2


def test_a_full_limited_step_does_not_block_unlimited_steps_of_other_flows(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "narrow", concurrency=1)
    map_flow(conn, "open")
    start(conn, "narrow", list(range(1_000)))
    claimer = connect()
    first = claimer.execute(
        "select flow_slug from pgflow.claim_tasks(%s, 10, array['narrow'])", [uuid.uuid4()]
    ).fetchall()
    assert first == [("narrow",)]
    start(conn, "open", list(range(5)))

    rows = claimer.execute(
        "select flow_slug from pgflow.claim_tasks(%s, 10, null)", [uuid.uuid4()]
    ).fetchall()

    assert sorted(rows) == [("open",)] * 5


def test_a_high_priority_run_after_a_10000_task_backlog_is_claimed_next(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "backlog")
    start(conn, "backlog", list(range(10_000)))
    urgent = start(conn, "backlog", ["urgent"], priority=5)

    rows = (
        connect()
        .execute(
            "select run_id, input from pgflow.claim_tasks(%s, 1, array['backlog'])", [uuid.uuid4()]
        )
        .fetchall()
    )

    assert rows == [(urgent, "urgent")]


def test_a_limited_claim_refuses_repeatable_read(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "strict", concurrency=2)
    start(conn, "strict", [1, 2, 3])
    claimer = connect()
    claimer.autocommit = False
    claimer.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ

    with pytest.raises(psycopg.Error) as caught:
        claimer.execute("select * from pgflow.claim_tasks(%s, 10, array['strict'])", [uuid.uuid4()])

    error = translate(caught.value)
    assert isinstance(error, ClaimIsolationError)
    assert "READ COMMITTED" in str(error)


def test_a_freed_slot_of_a_limited_step_wakes_the_workers(
    conn: psycopg.Connection[TupleRow], connect: Connect
) -> None:
    map_flow(conn, "wake", concurrency=1)
    start(conn, "wake", [1, 2])
    claimer = connect()
    (run_id, step_slug, task_index, attempt) = claimer.execute(
        "select run_id, step_slug, task_index, attempt"
        " from pgflow.claim_tasks(%s, 10, array['wake'])",
        [uuid.uuid4()],
    ).fetchall()[0]
    listener = connect()
    listener.execute("listen pgflow_tasks")

    claimer.execute(
        "select pgflow.complete_task(%s, %s, '1', %s, %s)", [run_id, step_slug, task_index, attempt]
    )

    payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert payloads == ["wake"]
