"""Flow control through the Python surface and the CLI (issue 13).

The DSL options and their validation, the compiler passing limits to
``add_step`` (and not to the shape), deploy applying declared limits to an
existing flow, ``Client.step_limits``/``set_step_limits``, ``pgflow limits``,
``pgflow inspect`` showing limits, and ``Client.start(priority=...)`` /
``pgflow start --priority``.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from psycopg.rows import TupleRow

from pgflow import Client, Flow, InvalidLimitError, compile_flow, deploy_flow
from pgflow.cli.main import main
from pgflow.errors import DefinitionError


def cli(*args: str) -> int:
    try:
        return main(list(args))
    except SystemExit as exit_:
        return int(exit_.code or 0)


def limited_flow(slug: str = "api_sync", **limits: Any) -> Flow[Any]:
    flow: Flow[Any] = Flow(slug)
    flow.add_step("fetch", lambda run: run)
    flow.add_step(
        "push",
        lambda run, fetch: fetch,
        depends_on=["fetch"],
        **(
            limits
            or {
                "concurrency": 5,
                "concurrency_key": "run.customer",
                "rate_limit": 20,
                "rate_period": 1,
            }
        ),
    )
    return flow


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": -1}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"rate_limit": 5}, "rate_period"),
        ({"rate_limit": 0, "rate_period": 1}, "rate_limit"),
        ({"rate_limit": 5, "rate_period": 0}, "rate_period"),
        ({"concurrency": 1, "concurrency_key": ""}, "concurrency_key"),
        ({"concurrency": 1, "concurrency_key": ("run", "")}, "concurrency_key"),
        ({"concurrency": 1, "concurrency_key": 42}, "concurrency_key"),
        ({"concurrency_key": "run.tenant"}, "concurrency_key"),
    ],
)
def test_the_dsl_rejects_bad_limits_naming_flow_and_step(
    options: dict[str, Any], needle: str
) -> None:
    flow: Flow[Any] = Flow("bad_limits")
    with pytest.raises(DefinitionError) as caught:
        flow.add_step("call", lambda run: run, **options)
    assert "'bad_limits'" in str(caught.value)
    assert "'call'" in str(caught.value)
    assert needle in str(caught.value)


def test_limits_stay_out_of_the_shape_and_go_to_add_step() -> None:
    plain: Flow[Any] = Flow("api_sync")
    plain.add_step("fetch", lambda run: run)
    plain.add_step("push", lambda run, fetch: fetch, depends_on=["fetch"])
    limited = limited_flow()

    assert limited.shape().hash() == plain.shape().hash()
    assert limited.get_step("push").limits is not None
    assert limited.get_step("push").limits.concurrency_key == ("run", "customer")  # type: ignore[union-attr]
    sql = compile_flow(limited)
    assert "concurrency => 5" in sql
    assert "concurrency_key => array['run', 'customer']::text[]" in sql
    assert "rate_limit => 20" in sql
    assert "rate_period => 1" in sql
    assert "concurrency" not in compile_flow(plain)


def test_a_compiled_migration_applies_the_declared_limits_to_an_existing_flow(
    conn: psycopg.Connection[TupleRow],
) -> None:
    conn.execute(compile_flow(limited_flow()).encode())
    conn.execute("select pgflow.set_step_limits('api_sync', 'push', concurrency => 99)")

    conn.execute(compile_flow(limited_flow()).encode())

    row = conn.execute(
        "select concurrency, concurrency_key, rate_limit, rate_period from pgflow.step_limits"
    ).fetchall()
    assert row == [(5, ["run", "customer"], 20, 1)]


def test_deploy_applies_changed_limits_to_an_identical_flow(
    conn: psycopg.Connection[TupleRow],
) -> None:
    deploy_flow(conn, limited_flow())

    result = deploy_flow(conn, limited_flow(concurrency=2))

    assert result.action == "unchanged"
    assert conn.execute("select concurrency, rate_limit from pgflow.step_limits").fetchall() == [
        (2, None)
    ]


def test_the_client_reads_and_sets_limits(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    deploy_flow(conn, limited_flow())
    with Client(database_url) as client:
        before = {row.step_slug: row for row in client.step_limits("api_sync")}
        changed = client.set_step_limits("api_sync", "fetch", concurrency=3)
        with pytest.raises(InvalidLimitError) as caught:
            client.set_step_limits("api_sync", "fetch", concurrency=0)

    assert not before["fetch"].is_limited
    assert before["push"].concurrency == 5
    assert before["push"].concurrency_key == ["run", "customer"]
    assert (changed.step_slug, changed.concurrency, changed.rate_limit) == ("fetch", 3, None)
    assert caught.value.sqlstate == "PF020"


def test_pgflow_limits_shows_and_changes_limits(
    conn: psycopg.Connection[TupleRow], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_flow(conn, limited_flow())

    assert cli("limits", "api_sync", "--database-url", database_url) == 0
    shown = capsys.readouterr().out
    assert "push" in shown
    assert "run.customer" in shown
    assert "20/1s" in shown

    assert (
        cli(
            "limits",
            "api_sync",
            "push",
            "--concurrency",
            "2",
            "--rate-limit",
            "none",
            "--rate-period",
            "none",
            "--json",
            "--database-url",
            database_url,
        )
        == 0
    )
    [row] = json.loads(capsys.readouterr().out)
    assert (row["concurrency"], row["concurrency_key"], row["rate_limit"]) == (
        2,
        ["run", "customer"],
        None,
    )

    assert cli("limits", "api_sync", "push", "--clear", "--database-url", database_url) == 0
    capsys.readouterr()
    assert conn.execute("select count(*) from pgflow.step_limits").fetchone() == (0,)

    assert (
        cli("limits", "api_sync", "push", "--concurrency", "0", "--database-url", database_url) == 2
    )
    assert (
        cli("limits", "api_sync", "nope", "--concurrency", "1", "--database-url", database_url) != 0
    )


def test_pgflow_inspect_shows_declared_and_live_limits(
    conn: psycopg.Connection[TupleRow],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    module = tmp_path / "limited_mod.py"
    module.write_text(
        "from pgflow import Flow\n"
        "flow = Flow('api_sync')\n"
        "flow.add_step('push', lambda run: run, concurrency=5, concurrency_key='run.customer')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cli("deploy", "limited_mod:flow", "--database-url", database_url) == 0
    conn.execute("select pgflow.set_step_limits('api_sync', 'push', concurrency => 7)")
    capsys.readouterr()

    assert cli("inspect", "limited_mod:flow", "--database-url", database_url) == 0
    text = capsys.readouterr().out
    assert "flow control" in text
    assert "run.customer" in text
    assert "7" in text

    assert cli("inspect", "limited_mod:flow", "--json", "--database-url", database_url) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["flow_control"]["push"]["concurrency"] == 5
    assert document["database"]["flow_control"]["push"]["concurrency"] == 7


def test_a_run_started_with_a_priority_is_claimed_first(
    conn: psycopg.Connection[TupleRow], database_url: str
) -> None:
    flow: Flow[Any] = Flow("prio_flow")
    flow.add_step("only", lambda run: run)
    deploy_flow(conn, flow)
    with Client(database_url) as client:
        for _ in range(20):
            client.start(flow, {})
        urgent = client.start(flow, {}, priority=5)
        with pytest.raises(TypeError):
            client.start(flow, {}, priority="high")  # type: ignore[arg-type]
    assert cli("start", "prio_flow", "--priority", "9", "--database-url", database_url) == 0

    rows = conn.execute(
        "select r.priority from pgflow.claim_tasks(gen_random_uuid(), 2) as c"
        " join pgflow.runs as r using (run_id) order by r.priority desc"
    ).fetchall()

    assert rows == [(9,), (5,)]
    assert conn.execute(
        "select priority from pgflow.runs where run_id = %s", [urgent.run_id]
    ).fetchone() == (5,)
