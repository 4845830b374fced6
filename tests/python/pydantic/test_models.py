"""The pydantic extra: run inputs and step outputs declared as models are validated and serialised.

The same model serves an HTTP endpoint and a flow: ``client.start`` validates
the input against the flow's run type and sends the model's JSON; the worker
hands each handler model instances, validates what it returns against its
return type, and stores the model's JSON; ``result()`` validates the run
output into the flow's output type.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Client, Flow, ModelValidationError, RunFailedError, deploy_flow
from pgflow.run.worker import Worker, WorkerOptions
from pydantic import BaseModel, Field


class Order(BaseModel):
    id: int
    items: list[str] = Field(min_length=1)


class Priced(BaseModel):
    order: int
    cents: int


class Receipt(BaseModel):
    total: Priced


Orders = Flow[Order, Receipt]("pydantic_orders_v1", max_attempts=1, timeout=30)


@Orders.step()
def price(run: Order) -> Priced:
    assert isinstance(run, Order)  # the handler gets the model, not a dict
    return Priced(order=run.id, cents=10 * sum(len(item) for item in run.items))


@Orders.step(price)
def total(run: Order, price: Priced) -> Priced:
    assert isinstance(price, Priced)
    return price


Sloppy = Flow[Order]("pydantic_sloppy_v1", max_attempts=1, timeout=30)


@Sloppy.step()
def wrong(run: Order) -> Priced:
    return cast(Priced, {"order": run.id})  # "cents" missing: fails its task


@contextmanager
def running(worker: Worker) -> Iterator[None]:
    thread = threading.Thread(target=lambda: worker.run(install_signal_handlers=False))
    thread.start()
    try:
        assert worker.wait_started(20)
        yield
    finally:
        worker.stop()
        thread.join(20)


def fast() -> WorkerOptions:
    return WorkerOptions(poll_interval=5, heartbeat_interval=0.2, grace_period=5)


def test_a_model_round_trips_through_a_run(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deploy_flow(conn, Orders)
    with running(Worker([Orders], database_url, options=fast())), Client(database_url) as client:
        handle = client.start(Orders, Order(id=7, items=["pen", "paper"]))
        receipt = handle.result(timeout=20)
        row = handle.status()
    assert receipt == Receipt(total=Priced(order=7, cents=80))
    assert row.input == {"id": 7, "items": ["pen", "paper"]}  # stored as the model's JSON
    assert row.output == {"total": {"order": 7, "cents": 80}}


def test_a_dict_input_is_validated_against_the_run_model_too(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deploy_flow(conn, Orders)
    with Client(database_url) as client:
        handle = client.start(Orders, cast(Order, {"id": "8", "items": ["x"]}))
        assert handle.status().input == {"id": 8, "items": ["x"]}  # coerced by the model


def test_an_invalid_input_is_a_clear_error_and_starts_nothing(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deploy_flow(conn, Orders)
    with Client(database_url) as client, pytest.raises(ModelValidationError) as caught:
        client.start(Orders, cast(Order, {"id": "seven", "items": []}))
    message = str(caught.value)
    assert message.startswith("the input of flow 'pydantic_orders_v1': 2 validation errors")
    assert "id\n  Input should be a valid integer" in message
    assert "items\n  List should have at least 1 item" in message
    assert conn.execute("select count(*) from pgflow.runs").fetchone() == (0,)


def test_an_output_that_does_not_fit_its_model_fails_the_task(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deploy_flow(conn, Sloppy)
    with running(Worker([Sloppy], database_url, options=fast())), Client(database_url) as client:
        handle = client.start(Sloppy, Order(id=1, items=["a"]))
        with pytest.raises(RunFailedError) as caught:
            handle.result(timeout=20)
        details = handle.get_run()
    assert caught.value.run.status == "failed"
    error = details.tasks[0].error_message or ""
    assert error.startswith("ModelValidationError: the handler's return value: 1 validation error")
    assert "cents\n  Field required" in error


def test_handlers_take_and_return_models_when_called_directly() -> None:
    order = Order(id=1, items=["ab"])
    assert price(order) == Priced(order=1, cents=20)
    assert Orders["price"].arguments({"run": {"id": 1, "items": ["ab"]}}) == (order,)


def test_flows_without_models_never_import_pydantic() -> None:
    code = (
        "import sys, pgflow\n"
        "from pgflow.examples.analyze_website import AnalyzeWebsite\n"
        "from pgflow.run.client import Client\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
