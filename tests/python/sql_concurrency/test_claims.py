"""Claims under real concurrency: several sessions draining one queue.

Each thread has its own connection and loops claim_tasks -> complete_task (or
the complete_tasks batch). Leases are long (60 s), so a task handed out twice
would be a bug of claim_tasks, not an expired lease.
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

Connect = Callable[[], psycopg.Connection[TupleRow]]
SqlFlow = Callable[..., None]

DIAMOND: list[tuple[str, list[str], dict[str, Any]]] = [
    ("website", [], {}),
    ("sentiment", ["website"], {}),
    ("summary", ["website"], {}),
    ("saveToDb", ["sentiment", "summary"], {}),
]

ClaimRow = tuple[uuid.UUID, str, str, int, int, Any]


def handler_output(step_slug: str, task_input: Any) -> Any:
    """A deterministic 'handler': each output derives from the task input."""
    if step_slug == "each":
        return task_input * 2
    if step_slug == "website":
        return {"len": task_input["run"]["n"]}
    if step_slug == "sentiment":
        return task_input["website"]["len"] + 1
    if step_slug == "summary":
        return task_input["website"]["len"] * 2
    if step_slug == "saveToDb":
        return task_input["sentiment"] + task_input["summary"]
    raise AssertionError(f"unexpected step {step_slug}")


def drain(
    conn: psycopg.Connection[TupleRow],
    flow_slugs: list[str],
    *,
    batch: int,
    use_batch_api: bool,
    deadline: float,
) -> list[ClaimRow]:
    """Claim and complete until no run of `flow_slugs` is started; returns what it claimed."""
    worker_id = uuid.uuid4()
    claimed: list[ClaimRow] = []
    while True:
        assert time.monotonic() < deadline, "draining took too long"
        rows: list[ClaimRow] = conn.execute(
            "select run_id, flow_slug, step_slug, task_index, attempt, input"
            " from pgflow.claim_tasks(%s, %s, %s)",
            (worker_id, batch, flow_slugs),
        ).fetchall()
        if not rows:
            started = conn.execute(
                "select count(*) from pgflow.runs where flow_slug = any(%s) and status = 'started'",
                (flow_slugs,),
            ).fetchone()
            assert started is not None
            if started[0] == 0:
                return claimed
            time.sleep(0.002)
            continue
        claimed.extend(rows)
        if use_batch_api:
            changed = conn.execute(
                "select pgflow.complete_tasks("
                "%s::uuid[], %s::text[], %s::jsonb[], %s::int[], %s::int[])",
                (
                    [r[0] for r in rows],
                    [r[2] for r in rows],
                    [Jsonb(handler_output(r[2], r[5])) for r in rows],
                    [r[3] for r in rows],
                    [r[4] for r in rows],
                ),
            ).fetchone()
            assert changed is not None
            assert changed[0] == len(rows), "a batch of freshly claimed tasks must all change state"
        else:
            for run_id, _flow, step_slug, task_index, attempt, task_input in rows:
                status = conn.execute(
                    "select status from pgflow.complete_task(%s, %s, %s, %s, %s)",
                    (
                        run_id,
                        step_slug,
                        Jsonb(handler_output(step_slug, task_input)),
                        task_index,
                        attempt,
                    ),
                ).fetchone()
                assert status == ("completed",)


def test_concurrent_claimers_take_each_task_once_and_complete_it_once(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("conc_diamond", DIAMOND)
    sql_flow("conc_map", [("each", [], {"step_type": "map"})])
    diamond_runs = {
        n: scalar(
            conn, "select run_id from pgflow.start_flow('conc_diamond', %s)", (Jsonb({"n": n}),)
        )
        for n in range(40)
    }
    elements = list(range(300))
    map_run = scalar(
        conn, "select run_id from pgflow.start_flow('conc_map', %s)", (Jsonb(elements),)
    )

    threads = 8
    connections = [connect() for _ in range(threads)]
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [
            pool.submit(
                drain,
                c,
                ["conc_diamond", "conc_map"],
                batch=1 + i % 5,
                use_batch_api=i % 2 == 0,
                deadline=deadline,
            )
            for i, c in enumerate(connections)
        ]
        claimed = [row for f in futures for row in f.result(timeout=90)]

    per_task = Counter((r[0], r[2], r[3]) for r in claimed)
    twice = [key for key, count in per_task.items() if count > 1]
    assert twice == [], f"tasks handed out twice: {twice[:5]}"
    assert len(per_task) == 40 * 4 + 300, "every task was claimed"
    assert {r[4] for r in claimed} == {1}, "no task needed a second attempt"

    tasks = conn.execute(
        "select status, attempts_count, count(*) from pgflow.step_tasks group by 1, 2"
    ).fetchall()
    assert tasks == [("completed", 1, 40 * 4 + 300)], "every task completed exactly once"
    runs = conn.execute(
        "select status, remaining_steps, count(*) from pgflow.runs group by 1, 2"
    ).fetchall()
    assert runs == [("completed", 0, 41)]

    # The joins ran once per run, with both branches in their input.
    joins = conn.execute(
        "select run_id, count(*) from pgflow.step_tasks where step_slug = 'saveToDb' group by 1"
    ).fetchall()
    assert sorted(count for _run, count in joins) == [1] * 40
    for n, run_id in diamond_runs.items():
        output = conn.execute(
            "select output from pgflow.runs where run_id = %s", (run_id,)
        ).fetchone()
        assert output == ({"saveToDb": (n + 1) + 2 * n},)
    map_output = conn.execute(
        "select output from pgflow.runs where run_id = %s", (map_run,)
    ).fetchone()
    assert map_output == ({"each": [e * 2 for e in elements]},), "map output in element order"


def test_a_claim_skips_rows_locked_by_another_claim_instead_of_waiting(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("skip_locked", [("each", [], {"step_type": "map"})])
    conn.execute("select pgflow.start_flow('skip_locked', '[1, 2, 3, 4]')")
    holder, other = connect(), connect()
    other.execute("set lock_timeout = '500ms'")
    with holder.transaction():
        held = holder.execute(
            "select task_index from pgflow.claim_tasks(%s, 1, array['skip_locked'])",
            (uuid.uuid4(),),
        ).fetchall()
        assert len(held) == 1
        started = time.monotonic()
        taken = other.execute(
            "select task_index from pgflow.claim_tasks(%s, 10, array['skip_locked'])",
            (uuid.uuid4(),),
        ).fetchall()
        assert time.monotonic() - started < 0.5, "the second claim waited for the first"
    assert len(taken) == 3
    assert held[0] not in taken


def test_concurrent_claims_of_one_expired_lease_give_it_to_one_worker(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    sql_flow("expired_once", [("only", [], {})], timeout=10, max_attempts=5)
    for _ in range(10):
        conn.execute("select pgflow.start_flow('expired_once', '{}', %s)", (uuid.uuid4(),))
    first = conn.execute(
        "select count(*) from pgflow.claim_tasks(%s, 100, array['expired_once'])", (uuid.uuid4(),)
    ).fetchone()
    assert first == (10,)

    later = scalar(conn, "select pgflow.now()") + datetime.timedelta(seconds=11)
    threads = 8
    # every session sees the leases as expired (this test's own database)
    conn.execute("select pgflow.set_test_clock(%s)", (later,))
    connections = [connect() for _ in range(threads)]
    barrier = threading.Barrier(threads, timeout=20)

    def reclaim(c: psycopg.Connection[TupleRow]) -> list[tuple[uuid.UUID, int]]:
        barrier.wait()
        return c.execute(
            "select run_id, attempt from pgflow.claim_tasks(%s, 100, array['expired_once'])",
            (uuid.uuid4(),),
        ).fetchall()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = [row for rows in pool.map(reclaim, connections, timeout=60) for row in rows]
    assert sorted(results) == sorted((r, 2) for r in {r for r, _ in results})
    assert len(results) == 10, "each expired lease was re-claimed exactly once, as attempt 2"
    counts = conn.execute(
        "select attempts_count, count(*) from pgflow.step_tasks group by 1"
    ).fetchall()
    assert counts == [(2, 10)]


def scalar(conn: psycopg.Connection[TupleRow], query: str, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_claimers_expiring_last_attempt_leases_and_late_batches_never_deadlock(
    conn: psycopg.Connection[TupleRow], connect: Connect, sql_flow: SqlFlow
) -> None:
    # Every lease is a last attempt, so each claim first fails expired leases,
    # locking their runs for update, while late complete_tasks batches of the
    # same tasks lock those runs for key share. Both take runs in key order.
    sql_flow("expire_order", [("only", [], {})], timeout=1, max_attempts=1)
    runs = 300
    for _ in range(runs):
        conn.execute("select pgflow.start_flow('expire_order', '{}')")
    # one claim per run, a millisecond apart: lease expiry order is then claim
    # order, unrelated to the key order in which batches lock runs
    base = scalar(conn, "select now()")
    held = []
    for i in range(runs):
        conn.execute(
            "select pgflow.set_test_clock(%s)", (base + datetime.timedelta(milliseconds=i),)
        )
        held += conn.execute(
            "select run_id, step_slug, task_index, attempt"
            " from pgflow.claim_tasks(%s, 1, array['expire_order'])",
            (uuid.uuid4(),),
        ).fetchall()
    assert len(held) == runs
    conn.execute("select pgflow.set_test_clock(now() + interval '5 seconds')")

    threads = 8
    connections = [connect() for _ in range(threads)]
    barrier = threading.Barrier(threads, timeout=20)

    def race(i: int) -> int:
        c = connections[i]
        barrier.wait()
        if i % 2 == 0:
            rounds = 0
            while c.execute(
                "select count(*) from pgflow.claim_tasks(%s, 10, array['expire_order'])",
                (uuid.uuid4(),),
            ).fetchone() != (0,) or c.execute(
                "select count(*) from pgflow.step_tasks where status = 'started'"
            ).fetchone() != (0,):
                rounds += 1
                if rounds > 200:
                    break
            return rounds
        # late results of the expired attempts, in batches of shuffled runs
        mine = held[i // 2 :: threads // 2]
        mine = sorted(mine, key=lambda _row: uuid.uuid4())
        for start in range(0, len(mine), 10):
            batch = mine[start : start + 10]
            c.execute(
                "select pgflow.complete_tasks(%s, %s, %s, %s, %s)",
                (
                    [r[0] for r in batch],
                    [r[1] for r in batch],
                    [Jsonb("late")] * len(batch),
                    [r[2] for r in batch],
                    [r[3] for r in batch],
                ),
            )
        return len(mine)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(race, range(threads), timeout=120))  # a deadlock raises 40P01 here

    tasks: dict[str, int] = dict(
        conn.execute("select status, count(*)::int from pgflow.step_tasks group by 1").fetchall()
    )
    assert sum(tasks.values()) == runs
    assert set(tasks) <= {"completed", "failed"}
    finished: dict[str, int] = dict(
        conn.execute("select status, count(*)::int from pgflow.runs group by 1").fetchall()
    )
    assert finished == tasks, "each run ended the way its one task did"
