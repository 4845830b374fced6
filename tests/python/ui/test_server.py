"""Every endpoint of the playground, good input and bad (Starlette's TestClient)."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections.abc import Callable

import psycopg
import pytest
from starlette.testclient import TestClient

from pgflow.run.client import Client

BASE = "http://127.0.0.1:8765"
ORIGIN = {"Origin": BASE}


def _start(client: TestClient, flow: str, text: str) -> str:
    response = client.post(
        f"/flows/{flow}/start", data={"input": text}, headers=ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/runs/")
    return location.removeprefix("/runs/")


def test_flows_page_lists_every_deployed_flow(client: TestClient) -> None:
    page = client.get("/flows")
    assert page.status_code == 200
    for slug in ("analyze_website_v2", "word_count_v1", "square_sum_v1", "ui_steps_v1"):
        assert f'data-flow="{slug}"' in page.text


def test_flow_page_carries_one_node_per_step_and_the_edges(client: TestClient) -> None:
    page = client.get("/flows/word_count_v1")
    assert page.status_code == 200
    match = re.search(r'data-graph="([^"]*)"', page.text)
    assert match is not None
    graph = json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert [node["id"] for node in graph["nodes"]] == ["split", "count", "total"]
    assert {(e["from"], e["to"]) for e in graph["edges"]} == {
        ("split", "count"),
        ("count", "total"),
    }
    assert "map" in graph["nodes"][1]["badges"]


def test_flow_page_of_a_flow_ref_says_code_and_database_agree(client: TestClient) -> None:
    page = client.get("/flows/ui_steps_v1")
    assert 'class="diff identical"' in page.text


def test_unknown_flow_is_404(client: TestClient) -> None:
    assert client.get("/flows/no_such_flow").status_code == 404


def test_starting_a_run_from_the_form_redirects_to_its_page(client: TestClient) -> None:
    run_id = _start(client, "ui_steps_v1", '{"n": 4}')
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert 'id="run-status">started<' in page.text


def test_malformed_json_input_is_shown_inline(client: TestClient) -> None:
    response = client.post("/flows/ui_steps_v1/start", data={"input": '{"n": '}, headers=ORIGIN)
    assert response.status_code == 400
    assert 'id="start-error"' in response.text
    assert "not JSON" in response.text


def test_an_input_the_database_refuses_is_shown_inline(client: TestClient) -> None:
    # a root map step needs an array as the run input
    response = client.post("/flows/square_sum_v1/start", data={"input": '{"a": 1}'}, headers=ORIGIN)
    assert response.status_code == 400
    assert 'id="start-error"' in response.text


def test_huge_input_is_refused_with_413(
    ui_database: str, make_client: Callable[..., TestClient]
) -> None:
    with make_client(ui_database, max_input_bytes=1000) as client:
        response = client.post(
            "/flows/ui_steps_v1/start", data={"input": "[" + "1," * 2000 + "1]"}, headers=ORIGIN
        )
    assert response.status_code == 413


def test_starting_an_unknown_flow_is_404(client: TestClient) -> None:
    response = client.post("/flows/nope_v1/start", data={"input": "{}"}, headers=ORIGIN)
    assert response.status_code == 404


def test_unknown_run_is_404_on_every_endpoint(client: TestClient) -> None:
    for run in (str(uuid.uuid4()), "not-a-uuid"):
        assert client.get(f"/runs/{run}").status_code == 404
        assert client.get(f"/runs/{run}/live").status_code == 404
        for action in ("cancel", "retry", "step"):
            response = client.post(f"/runs/{run}/{action}", headers=ORIGIN)
            assert response.status_code == 404, (action, run, response.status_code)
    assert client.get("/events?run=not-a-uuid").status_code == 404


def test_cancel_then_retry_resumes_the_run(client: TestClient) -> None:
    run_id = _start(client, "ui_slow_v1", '{"n": 1}')
    cancelled = client.post(f"/runs/{run_id}/cancel", headers=ORIGIN, follow_redirects=False)
    assert cancelled.status_code == 303
    assert 'id="run-status">cancelled<' in client.get(f"/runs/{run_id}").text
    retried = client.post(f"/runs/{run_id}/retry", headers=ORIGIN, follow_redirects=False)
    assert retried.status_code == 303
    assert 'id="run-status">started<' in client.get(f"/runs/{run_id}").text


def test_retrying_a_running_run_is_refused_inline(client: TestClient) -> None:
    run_id = _start(client, "ui_slow_v1", '{"n": 1}')
    response = client.post(f"/runs/{run_id}/retry", headers=ORIGIN)
    assert response.status_code == 409
    assert 'id="action-error"' in response.text


def test_rerun_from_an_unknown_step_is_refused_inline(client: TestClient) -> None:
    run_id = _start(client, "ui_slow_v1", '{"n": 1}')
    client.post(f"/runs/{run_id}/cancel", headers=ORIGIN)
    response = client.post(
        f"/runs/{run_id}/retry", data={"from_steps": "no_such_step"}, headers=ORIGIN
    )
    assert response.status_code == 409
    assert "no_such_step" in response.text


def test_stepping_runs_one_task_per_click_and_shows_input_and_output(
    client: TestClient,
) -> None:
    run_id = _start(client, "ui_steps_v1", '{"n": 5}')
    for _ in range(3):
        response = client.post(f"/runs/{run_id}/step", headers=ORIGIN, follow_redirects=False)
        assert response.status_code == 303
    page = client.get(f"/runs/{run_id}").text
    assert 'id="run-status">completed<' in page
    assert page.count('class="record"') == 3
    assert "result 11" in page
    # nothing left: a fourth click says so
    assert client.post(f"/runs/{run_id}/step", headers=ORIGIN).status_code == 409


def test_a_flow_not_given_as_flow_ref_cannot_be_stepped(
    ui_database: str, make_client: Callable[..., TestClient]
) -> None:
    with make_client(ui_database, flows=()) as client:
        run_id = _start(client, "ui_slow_v1", '{"n": 1}')
        response = client.post(f"/runs/{run_id}/step", headers=ORIGIN)
    assert response.status_code == 409
    assert "FLOW_REF" in response.text


def test_cross_origin_posts_are_refused(client: TestClient) -> None:
    for headers in ({"Origin": "http://evil.example"}, {}, {"Origin": "null"}):
        response = client.post("/flows/ui_steps_v1/start", data={"input": "{}"}, headers=headers)
        assert response.status_code == 403


def test_a_foreign_host_header_is_refused(client: TestClient) -> None:
    assert client.get("/flows", headers={"Host": "evil.example"}).status_code == 400


def test_read_only_hides_actions_and_refuses_their_endpoints(
    ui_database: str, make_client: Callable[..., TestClient]
) -> None:
    with Client(ui_database) as pgflow:
        run = pgflow.start("ui_slow_v1", {"n": 1})
    with make_client(ui_database, read_only=True) as client:
        page = client.get(f"/runs/{run.run_id}").text
        assert 'id="actions"' not in page
        assert 'id="start-form"' not in client.get("/flows/ui_steps_v1").text
        for path in (
            "/flows/ui_steps_v1/start",
            f"/runs/{run.run_id}/cancel",
            f"/runs/{run.run_id}/retry",
            f"/runs/{run.run_id}/step",
        ):
            assert client.post(path, data={"input": "{}"}, headers=ORIGIN).status_code == 403
        assert pgflow_status(ui_database, run.run_id) == "started"


def pgflow_status(url: str, run_id: uuid.UUID) -> str:
    with Client(url) as pgflow:
        return pgflow.get_run(run_id).status


def test_basic_auth_is_required_when_configured(
    ui_database: str, make_client: Callable[..., TestClient]
) -> None:
    with make_client(ui_database, auth=("ada", "s3cret")) as client:
        assert client.get("/flows").status_code == 401
        good = base64.b64encode(b"ada:s3cret").decode()
        bad = base64.b64encode(b"ada:wrong").decode()
        assert client.get("/flows", headers={"Authorization": f"Basic {bad}"}).status_code == 401
        assert client.get("/flows", headers={"Authorization": f"Basic {good}"}).status_code == 200


def test_runs_list_filters_by_flow_and_status(client: TestClient) -> None:
    slow = _start(client, "ui_slow_v1", '{"n": 1}')
    steps = _start(client, "ui_steps_v1", '{"n": 1}')
    listed = client.get("/runs/rows?flow=ui_slow_v1").text
    assert slow in listed
    assert steps not in listed
    client.post(f"/runs/{slow}/cancel", headers=ORIGIN)
    cancelled = client.get("/runs/rows?status=cancelled&since=1h").text
    assert slow in cancelled
    assert steps not in cancelled
    assert client.get("/runs?status=bogus&since=bogus").status_code == 200


def test_live_endpoint_returns_step_statuses(client: TestClient) -> None:
    run_id = _start(client, "ui_steps_v1", '{"n": 1}')
    state = client.get(f"/runs/{run_id}/live").json()
    assert state["status"] == "started"
    assert state["steps"] == {"double": "started", "add_one": "created", "describe": "created"}
    assert "waits for double (started)" in state["html"]


def test_a_role_without_privileges_gets_a_clear_message(
    ui_database: str, make_client: Callable[..., TestClient]
) -> None:
    role = f"ui_nobody_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ui_database, autocommit=True) as conn:
        conn.execute(f"create role {role} login")
    conninfo = psycopg.conninfo.make_conninfo(ui_database, user=role)
    try:
        with make_client(conninfo, flows=()) as client:
            page = client.get("/flows")
        assert page.status_code == 403
        assert role in page.text
        assert "pgflow_client" in page.text
    finally:
        with psycopg.connect(ui_database, autocommit=True) as conn:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role {role}")


def test_static_assets_and_dagre_licence_are_served(client: TestClient) -> None:
    assert client.get("/static/vendor/dagre.min.js").status_code == 200
    assert (
        "MIT" in client.get("/static/vendor/dagre-LICENSE").text
        or client.get("/static/vendor/dagre-LICENSE").status_code == 200
    )


def test_a_delayed_step_says_when_it_is_due(client: TestClient) -> None:
    run_id = _start(client, "ui_slow_v1", '{"n": 1}')
    step = client.post(f"/runs/{run_id}/step", headers=ORIGIN, follow_redirects=False)
    assert step.status_code == 303
    html = client.get(f"/runs/{run_id}/live").json()["html"]
    assert "delayed (3600s after ready): 1 task(s) due at" in html


def test_a_failed_attempt_shows_its_error_traceback_and_retry_due_time(
    client: TestClient,
) -> None:
    run_id = _start(client, "ui_flaky_v1", '{"n": 3}')
    step = client.post(f"/runs/{run_id}/step", headers=ORIGIN, follow_redirects=False)
    assert step.status_code == 303
    page = client.get(f"/runs/{run_id}").text
    assert "RuntimeError: boom 3" in page
    assert "Traceback (most recent call last)" in page
    assert "attempt 1 of 3 failed" in page
    assert "retry due at" in page


def test_secret_values_show_as_a_badge_and_never_their_content(client: TestClient) -> None:
    sealed = {"$pgflow": "sealed", "ciphertext": "c2VjcmV0LWNpcGhlcg"}
    run_id = _start(client, "ui_slow_v1", json.dumps({"n": 1, "card": sealed}))
    page = client.get(f"/runs/{run_id}").text
    assert 'class="badge secret"' in page
    assert "c2VjcmV0LWNpcGhlcg" not in page


def test_large_values_start_collapsed(client: TestClient) -> None:
    big = {"n": 1, "rows": [{"id": i, "text": "x" * 20} for i in range(300)]}
    run_id = _start(client, "ui_slow_v1", json.dumps(big))
    page = client.get(f"/runs/{run_id}").text
    assert '<details class="j"><summary>[<span class="j-sum"> 300 items' in page
    assert "100 more not shown" in page


def test_the_start_form_seals_a_flows_secret_input_with_pgflow_keys(
    client: TestClient, ui_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGFLOW_KEYS", f"k1:{base64.b64encode(os.urandom(32)).decode()}")
    secret = "TOKEN-" + uuid.uuid4().hex
    with psycopg.connect(ui_database, autocommit=True) as conn:
        conn.execute("select pgflow.create_flow('ui_secret_v1', secret_input => '{token}')")
        conn.execute("select pgflow.add_step('ui_secret_v1', 'use')")
    run_id = _start(client, "ui_secret_v1", json.dumps({"token": secret, "plain": 1}))
    with psycopg.connect(ui_database) as conn:
        row = conn.execute(
            "select input::text, input -> 'token' ->> '$pgflow' from pgflow.runs where run_id = %s",
            (run_id,),
        ).fetchone()
    assert row is not None
    stored, kind = row
    assert secret not in stored
    assert kind == "sealed"
    assert '"plain": 1' in stored


def test_the_start_form_without_keys_says_the_secret_was_refused(
    client: TestClient, ui_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGFLOW_KEYS", raising=False)
    with psycopg.connect(ui_database, autocommit=True) as conn:
        conn.execute("select pgflow.create_flow('ui_secret_v2', secret_input => '{token}')")
        conn.execute("select pgflow.add_step('ui_secret_v2', 'use')")
    response = client.post(
        "/flows/ui_secret_v2/start", data={"input": '{"token": "t"}'}, headers=ORIGIN
    )
    assert response.status_code == 400
    assert 'id="start-error"' in response.text
    assert "secret path" in response.text
    with psycopg.connect(ui_database) as conn:
        count = conn.execute(
            "select count(*) from pgflow.runs where flow_slug = 'ui_secret_v2'"
        ).fetchone()
    assert count == (0,)


def test_a_step_held_back_by_its_concurrency_limit_says_so(
    client: TestClient, ui_database: str
) -> None:
    with psycopg.connect(ui_database, autocommit=True) as conn:
        conn.execute("select pgflow.create_flow('ui_limited_v1')")
        conn.execute(
            "select pgflow.add_step('ui_limited_v1', 'call', concurrency => 1,"
            " concurrency_key => '{run,customer}')"
        )
    first = _start(client, "ui_limited_v1", '{"customer": "acme"}')
    second = _start(client, "ui_limited_v1", '{"customer": "acme"}')
    with psycopg.connect(ui_database, autocommit=True) as conn:
        claimed = conn.execute(
            "select run_id::text from pgflow.claim_tasks(%s, 10, array['ui_limited_v1'])",
            [uuid.uuid4()],
        ).fetchall()
    assert len(claimed) == 1  # the limit let one of the two start
    waiting = second if claimed[0][0] == first else first
    html = client.get(f"/runs/{waiting}/live").json()["html"]
    assert "held back by flow control: concurrency 1 of 1 running for key" in html
    assert "acme" in html
    running = client.get(f"/runs/{claimed[0][0]}/live").json()["html"]
    assert "held back" not in running
