"""Fixtures of the playground tests: a database with the test and demo flows
deployed, and the app built on it (Starlette's TestClient, or uvicorn on a
free port for the browser)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from starlette.testclient import TestClient

from pgflow.define.deploy import deploy_flow
from pgflow.define.dsl import Flow
from pgflow.examples.analyze_website import AnalyzeWebsite
from pgflow.examples.fanout import SquareSum, WordCount
from pgflow.ui import UiOptions, create_app

sys.path.insert(0, str(Path(__file__).parent))

from ui_flows import Slow, Steps  # noqa: E402

BASE = "http://127.0.0.1:8765"
ORIGIN = {"Origin": BASE}
FLOW_REF_STEPS = str(Path(__file__).parent / "ui_flows.py") + ":Steps"
FLOWS: tuple[Flow[Any], ...] = (AnalyzeWebsite, WordCount, SquareSum, Steps, Slow)


@pytest.fixture
def ui_database(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for flow in FLOWS:
            deploy_flow(conn, flow)
    return database_url


def make_client(url: str, **options: Any) -> TestClient:
    options.setdefault("flows", (Steps,))
    return TestClient(create_app(UiOptions(conninfo=url, **options)), base_url=BASE)


@pytest.fixture
def client(ui_database: str) -> Iterator[TestClient]:
    with make_client(ui_database) as test_client:
        yield test_client


class LiveServer:
    """The app under uvicorn on a free loopback port, in a thread."""

    def __init__(self, options: UiOptions) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        config = uvicorn.Config(
            create_app(options),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
