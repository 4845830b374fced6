"""Scenario ui: ``pgflow ui``'s server time and its live-update latency.

* the run page of a run whose map step has 1,000 elements (all completed),
  and the flow page of a 200-step flow: server time of ``GET`` through the
  app in process (Starlette's TestClient: routing, the database reads,
  template rendering; no network), best and median of several requests;
* completion -> open page: uvicorn serving the app on a loopback port, an
  event stream (``/events?run=ID``) open like a browser's, and tasks of a
  20-element map run completed one by one with ``complete_task``; each sample
  is the time from the completion's commit to the page having re-read the
  run (event received, then ``/runs/ID/live`` fetched). A map element's
  completion sends no NOTIFY: these are the bridge's fallback-poll path,
  its worst case.
"""

from __future__ import annotations

import json
import queue
import statistics
import threading
import time
import uuid

import httpx2
from starlette.testclient import TestClient

from pgflow import queries
from pgflow.ui import UiOptions, create_app
from pgflow.ui.server import UiServer
from pgflow_bench.common import QUICK, Context, connect, deploy, drain, percentile
from pgflow_bench.flows import BenchMap, chain

__all__ = ["run"]

MAP_ELEMENTS = 1000
CHAIN_STEPS = 200
LATENCY_ELEMENTS = 20


def _timed_get(client: TestClient, path: str, times: int) -> list[float]:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"ui: GET {path} answered {response.status_code}")
    return samples


def run(ctx: Context) -> None:
    url = ctx.fresh_database("bench_ui")
    deploy(url, BenchMap)
    big = chain(CHAIN_STEPS)
    deploy(url, big)
    with connect(url) as conn:
        row = conn.execute(
            "select run_id from pgflow.start_flow('bench_map', %s::jsonb)",
            (json.dumps(list(range(MAP_ELEMENTS))),),
        ).fetchone()
    assert row is not None
    map_run = row[0]
    drain(url, connections=2, total=MAP_ELEMENTS, batch=100, mode="batch")
    times = 3 if ctx.sizes == QUICK else 10
    app = create_app(UiOptions(conninfo=url))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        client.get("/flows")  # warm the pool and the template cache
        run_ms = _timed_get(client, f"/runs/{map_run}", times)
        flow_ms = _timed_get(client, f"/flows/{big.slug}", times)
        text = client.get(f"/runs/{map_run}").text
        if text.count('class="tl-row"') == 0 or "completed" not in text:
            raise RuntimeError("ui: the 1,000-element run page did not render its tasks")
    for key, samples, what in (
        ("ui.run_page_1000_map", run_ms, f"run page, {MAP_ELEMENTS}-element map step"),
        ("ui.flow_page_200_steps", flow_ms, f"flow page, {CHAIN_STEPS}-step flow"),
    ):
        ctx.results.add(f"{key}_best_ms", min(samples), "ms", f"{what}: best server time")
        ctx.results.add(
            f"{key}_median_ms", statistics.median(samples), "ms", f"{what}: median server time"
        )
    _latency(ctx, url)


def _latency(ctx: Context, url: str) -> None:
    server = UiServer(UiOptions(conninfo=url), port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("ui: uvicorn did not start")
        time.sleep(0.05)
    port = server.port
    base = f"http://127.0.0.1:{port}"
    rounds = 2 if ctx.sizes == QUICK else 5
    samples: list[float] = []
    try:
        for _ in range(rounds):
            samples.extend(_one_run(url, base))
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    for p in (50, 95):
        ctx.results.add(
            f"ui.completion_to_page_p{p}_ms",
            percentile(samples, p),
            "ms",
            f"complete_task commit -> SSE event -> /live re-read, p{p} of {len(samples)} "
            "(map elements: no NOTIFY, the fallback poll)",
        )


def _one_run(url: str, base: str) -> list[float]:
    worker = uuid.uuid4()
    with connect(url) as conn:
        row = conn.execute(
            "select run_id from pgflow.start_flow('bench_map', %s::jsonb)",
            (json.dumps(list(range(LATENCY_ELEMENTS))),),
        ).fetchone()
        assert row is not None
        run_id = row[0]
        conn.execute(
            queries.REGISTER_WORKER,
            {"worker_id": worker, "flow_slugs": ["bench_map"], "hostname": "bench", "pid": 0},
        )
        tasks = conn.execute(
            queries.CLAIM_TASKS,
            {"worker_id": worker, "max_tasks": LATENCY_ELEMENTS, "flow_slugs": ["bench_map"]},
        ).fetchall()
        events: queue.Queue[float] = queue.Queue()
        stop = threading.Event()
        connected = threading.Event()

        def listen() -> None:
            with (
                httpx2.Client(timeout=None) as http,
                http.stream("GET", f"{base}/events?run={run_id}") as stream,
            ):
                for line in stream.iter_lines():
                    if line.startswith(": connected"):
                        connected.set()
                    if line.startswith("data:") and str(run_id) in line:
                        events.put(time.perf_counter())
                    if stop.is_set():
                        return

        reader = threading.Thread(target=listen, daemon=True)
        reader.start()
        if not connected.wait(10):
            raise RuntimeError("ui: the event stream did not open")
        time.sleep(0.5)
        while not events.empty():  # the first-sight refresh
            events.get_nowait()
        samples = []
        with httpx2.Client(base_url=base) as http:
            for task in tasks:
                t0 = time.perf_counter()
                conn.execute(
                    queries.COMPLETE_TASK,
                    {
                        "run_id": run_id,
                        "step_slug": task[2],
                        "output": "{}",
                        "task_index": task[3],
                        "attempt": task[4],
                    },
                )
                events.get(timeout=10)
                if http.get(f"/runs/{run_id}/live").status_code != 200:
                    raise RuntimeError("ui: /live failed")
                samples.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.05)
                while not events.empty():
                    events.get_nowait()
        stop.set()
    return samples
