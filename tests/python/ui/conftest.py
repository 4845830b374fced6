"""Fixtures of the playground tests: a database with the test and demo flows
deployed, and the app built on it (Starlette's TestClient, or uvicorn on a
free port for the browser)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from pgflow.define.deploy import deploy_flow
from pgflow.define.dsl import Flow
from pgflow.define.loader import load_flow
from pgflow.examples.analyze_website import AnalyzeWebsite
from pgflow.examples.fanout import SquareSum, WordCount
from pgflow.ui import UiOptions, create_app
from pgflow.ui.server import UiServer

BASE = "http://127.0.0.1:8765"
"""The TestClient's base URL: a loopback host the app accepts."""
UI_FLOWS = Path(__file__).resolve().with_name("ui_flows.py")
STEPS = load_flow(f"{UI_FLOWS}:Steps")
SLOW = load_flow(f"{UI_FLOWS}:Slow")
FLAKY = load_flow(f"{UI_FLOWS}:Flaky")
FLOWS: tuple[Flow[Any], ...] = (AnalyzeWebsite, WordCount, SquareSum, STEPS, SLOW, FLAKY)


@pytest.fixture
def ui_database(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for flow in FLOWS:
            deploy_flow(conn, flow)
    return database_url


def _make_client(url: str, **options: Any) -> TestClient:
    options.setdefault("flows", (STEPS, SLOW, FLAKY))
    return TestClient(create_app(UiOptions(conninfo=url, **options)), base_url=BASE)


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    """``make_client(url, **UiOptions fields)``: a TestClient (use it in ``with``)."""
    return _make_client


@pytest.fixture
def client(ui_database: str) -> Iterator[TestClient]:
    with _make_client(ui_database) as test_client:
        yield test_client


@pytest.fixture
def live_server() -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``with live_server(url, **UiOptions fields) as base_url``: uvicorn on a free port."""

    @contextlib.contextmanager
    def serve(url: str, **options: Any) -> Iterator[str]:
        options.setdefault("flows", (STEPS,))
        with LiveServer(UiOptions(conninfo=url, **options)) as server:
            yield server.url

    return serve


class LiveServer:
    """The app under uvicorn (pgflow ui's own server class) on a free loopback port."""

    def __init__(self, options: UiOptions) -> None:
        self.server = UiServer(options, port=0)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the server did not stop"
