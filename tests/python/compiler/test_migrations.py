"""A migrations folder read back by the compiler that wrote it; a deploy shapes a flow once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import DefinitionError, Flow, FlowShape, compile_flow, deploy_flow, migration_filename
from pgflow.define.compiler import existing_migrations


def orders(extra_step: bool = False) -> Flow[Any]:
    flow: Flow[Any] = Flow("orders_v1")
    flow.add_step("validate")
    flow.add_step("charge", depends_on="validate")
    if extra_step:
        flow.add_step("notify", depends_on="charge")
    return flow


def test_the_hash_in_a_written_header_is_read_back(tmp_path: Path) -> None:
    flow = orders()
    name = migration_filename(flow.slug, datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert name == "20300102030405_pgflow_orders_v1.sql"
    (tmp_path / name).write_text(compile_flow(flow), encoding="utf-8")
    (tmp_path / "20300102030405_pgflow_orders_v10.sql").write_text("-- another flow\n")
    (tmp_path / "20300102030406_pgflow_orders_v1.sql").write_text("-- edited by hand\n")
    (tmp_path / "notes.sql").write_text(compile_flow(flow), encoding="utf-8")

    found = existing_migrations(tmp_path, flow.slug)

    assert [(m.path.name, m.shape_hash) for m in found] == [
        (name, flow.shape().hash()),
        ("20300102030406_pgflow_orders_v1.sql", None),
    ]


def test_a_flow_without_steps_is_refused_before_anything_is_sent(
    conn: psycopg.Connection[TupleRow],
) -> None:
    with pytest.raises(DefinitionError, match="has no steps"):
        deploy_flow(conn, Flow("empty"))
    with pytest.raises(DefinitionError, match="has no steps"):
        compile_flow(Flow("empty"))


@pytest.mark.parametrize("force", [False, True])
def test_a_deploy_builds_and_hashes_the_shape_once(
    conn: psycopg.Connection[TupleRow], monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    shapes, documents = [], []
    build, document = Flow.shape, FlowShape.document

    def counting_build(flow: Flow[Any]) -> FlowShape:
        shapes.append(flow.slug)
        return build(flow)

    def counting_document(shape: FlowShape) -> Any:
        documents.append(shape.flow_slug)
        return document(shape)

    monkeypatch.setattr(Flow, "shape", counting_build)
    monkeypatch.setattr(FlowShape, "document", counting_document)

    actions = [deploy_flow(conn, orders()).action, deploy_flow(conn, orders()).action]
    if force:
        actions.append(deploy_flow(conn, orders(extra_step=True), force=True).action)
    assert actions == ["created", "unchanged", "recreated"][: len(actions)]
    assert len(shapes) == len(actions)  # one shape per deploy
    assert len(documents) == len(actions)  # hashed once per deploy
