"""The playground in a real headless Chromium (Debian's chromium + chromedriver,
installed by scripts/bootstrap.sh), driven by Selenium with the driver path
given explicitly (no Selenium Manager download).  One browser for the module."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from pgflow.examples.analyze_website import AnalyzeWebsite
from pgflow.examples.fanout import SquareSum, WordCount
from pgflow.run.client import Client
from pgflow.tools.testing import WorkerProcess

Serve = Callable[..., contextlib.AbstractContextManager[str]]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[3] / "build" / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver, condition: object, timeout: float = 20.0) -> object:
    # a live refresh or a form's redirect may replace an element between its
    # lookup and its use: look again on the next poll
    return WebDriverWait(
        driver, timeout, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
    ).until(
        lambda d: condition(d)  # type: ignore[operator]
    )


def nodes(driver: WebDriver) -> dict[str, str]:
    return {
        node.get_attribute("data-step") or "": node.get_attribute("data-status") or ""
        for node in driver.find_elements(By.CSS_SELECTOR, "#dag g.node")
    }


def edges(driver: WebDriver) -> set[tuple[str, str]]:
    return {
        (edge.get_attribute("data-from") or "", edge.get_attribute("data-to") or "")
        for edge in driver.find_elements(By.CSS_SELECTOR, "#dag path.edge")
    }


def record_text(driver: WebDriver, step: str) -> list[str] | None:
    """The input and output texts of a step's record (read in one go: the
    live section may be swapped in between two element lookups)."""
    texts = driver.execute_script(
        "const r = document.querySelector('.record[data-step=\"' + arguments[0] + '\"]');"
        "return r ? [r.querySelector('.step-input').textContent,"
        " r.querySelector('.step-output').textContent] : null;",
        step,
    )
    return texts if isinstance(texts, list) else None


def test_demo_flow_dags_render_one_node_per_step_with_the_right_edges(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    # what the code declares: one node per step, one edge per dependency
    expected = {
        flow.slug: (
            {step.slug for step in flow.steps},
            {(dep, step.slug) for step in flow.steps for dep in step.deps},
        )
        for flow in (AnalyzeWebsite, WordCount, SquareSum)
    }
    with live_server(ui_database) as base:
        for slug, (steps, links) in expected.items():
            browser.get(f"{base}/flows/{slug}")
            wait(browser, lambda d: len(nodes(d)) > 0)
            assert len(nodes(browser)) == len(steps), slug
            assert set(nodes(browser)) == steps, slug
            assert edges(browser) == links, slug


def test_run_page_colours_nodes_live_as_a_worker_completes_steps(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    with Client(ui_database) as pgflow:
        run = pgflow.start("word_count_v1", {"text": "one two\n\nthree four five\n\nsix"})
    with live_server(ui_database) as base:
        browser.get(f"{base}/runs/{run.run_id}")
        wait(browser, lambda d: nodes(d).get("split") == "started")
        assert nodes(browser)["total"] == "created"
        browser.execute_script("window.pgflowNotReloaded = true;")
        with WorkerProcess(["pgflow.examples.fanout:WordCount"], ui_database):
            wait(browser, lambda d: nodes(d).get("total") == "completed", timeout=60)
        assert browser.execute_script("return window.pgflowNotReloaded === true;")
        assert set(nodes(browser).values()) == {"completed"}
        assert browser.find_element(By.ID, "run-status").text == "completed"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "ui-run-page.png"))
    assert (ARTIFACTS / "ui-run-page.png").stat().st_size > 0


def test_runs_list_shows_a_new_run_without_reload(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    with live_server(ui_database) as base:
        browser.get(f"{base}/runs?flow=ui_slow_v1")
        browser.execute_script("window.pgflowNotReloaded = true;")
        with Client(ui_database) as pgflow:
            run = pgflow.start("ui_slow_v1", {"n": 2})
        row = f'tr[data-run="{run.run_id}"]'
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row))
        assert browser.execute_script("return window.pgflowNotReloaded === true;")


def test_start_from_the_form_then_cancel_then_retry(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    with live_server(ui_database) as base:
        browser.get(f"{base}/flows/ui_slow_v1")
        box = browser.find_element(By.ID, "input")
        box.clear()
        box.send_keys('{"n": 7}')
        browser.find_element(By.ID, "start").click()
        wait(browser, lambda d: "/runs/" in d.current_url)
        assert browser.find_element(By.ID, "run-status").text == "started"
        browser.find_element(By.ID, "cancel").click()
        wait(browser, lambda d: d.find_element(By.ID, "run-status").text == "cancelled")
        browser.find_element(By.ID, "retry").click()
        wait(browser, lambda d: d.find_element(By.ID, "run-status").text == "started")


def test_start_form_shows_json_errors_inline(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    with live_server(ui_database) as base:
        browser.get(f"{base}/flows/ui_slow_v1")
        box = browser.find_element(By.ID, "input")
        box.clear()
        box.send_keys('{"n": ')
        browser.find_element(By.ID, "start").click()
        wait(browser, lambda d: d.find_elements(By.ID, "start-error"))
        assert "not JSON" in browser.find_element(By.ID, "start-error").text


def test_read_only_hides_actions_and_the_endpoints_refuse(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    with Client(ui_database) as pgflow:
        run = pgflow.start("ui_slow_v1", {"n": 1})
    with live_server(ui_database, read_only=True) as base:
        browser.get(f"{base}/runs/{run.run_id}")
        assert browser.find_elements(By.ID, "read-only")
        assert not browser.find_elements(By.ID, "actions")
        assert not browser.find_elements(By.TAG_NAME, "button")
        status = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"fetch('/runs/{run.run_id}/cancel', {{method: 'POST'}}).then(r => done(r.status));"
        )
        assert status == 403
        browser.get(f"{base}/flows/ui_slow_v1")
        assert not browser.find_elements(By.ID, "start-form")


def test_stepping_through_a_three_step_flow_shows_each_input_and_output(
    browser: WebDriver, ui_database: str, live_server: Serve
) -> None:
    with Client(ui_database) as pgflow:
        run = pgflow.start("ui_steps_v1", {"n": 5})
    with live_server(ui_database) as base:
        browser.get(f"{base}/runs/{run.run_id}")
        expected = [
            ("double", '"n"', "10"),
            ("add_one", '"double"', "11"),
            ("describe", '"add_one"', '"result 11"'),
        ]
        for count, (step, shown_input, output) in enumerate(expected, start=1):
            browser.find_element(By.ID, "step").click()
            wait(browser, lambda d, c=count: len(d.find_elements(By.CSS_SELECTOR, ".record")) == c)
            shown = wait(browser, lambda d, name=step: record_text(d, name))
            assert isinstance(shown, list)
            assert shown_input in shown[0]
            assert output in shown[1]
            assert nodes(browser)[step] == "completed"
        assert browser.find_element(By.ID, "run-status").text == "completed"
        assert not browser.find_elements(By.ID, "step")


def test_screenshot_artifact_directory_is_inside_the_build_tree() -> None:
    assert ARTIFACTS.parts[-2:] == ("build", "artifacts")
    assert os.path.isabs(ARTIFACTS)
