"""``pgflow install | compile | deploy | inspect`` through the real entry point.

Each test runs the installed console script in a subprocess, so exit codes,
stdout/stderr and the absence of tracebacks are what a shell script sees.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[3]
PGFLOW = Path(sys.executable).parent / "pgflow"
ANALYZE = f"{ROOT}/python/pgflow/examples/analyze_website.py:AnalyzeWebsite"
GOLDEN = ROOT / "tests/python/compiler/golden"
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=3"


def pgflow(
    *args: str, url: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script with DATABASE_URL set to ``url`` (or unset)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [str(PGFLOW), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def changed_analyze(tmp_path: Path) -> str:
    """analyze_website_v2 under the same slug with another shape (an extra step)."""
    path = tmp_path / "changed_flows.py"
    path.write_text(
        textwrap.dedent(
            """
            from pgflow import Flow
            Changed = Flow("analyze_website_v2", timeout=30)
            Changed.add_step("website")
            Changed.add_step("sentiment", depends_on=["website"])
            Changed.add_step("summary", depends_on=["website"])
            Changed.add_step("saveToDb", depends_on=["sentiment", "summary"])
            Changed.add_step("notify", depends_on=["saveToDb"])
            """
        ),
        encoding="utf-8",
    )
    return f"{path}:Changed"


def scalar(url: str, query: str, *params: Any) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query.encode(), params or None).fetchone()
    return None if row is None else row[0]


# -- help and usage ----------------------------------------------------------


def test_help_documents_commands_and_exit_codes() -> None:
    result = pgflow("--help")
    assert result.returncode == 0
    for word in ("install", "compile", "deploy", "inspect", "exit codes:", "shape mismatch"):
        assert word in result.stdout


def test_python_dash_m_is_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pgflow", "compile", ANALYZE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (GOLDEN / "analyze_website_v2.sql").read_text(encoding="utf-8")


def test_unknown_command_and_missing_argument_are_usage_errors() -> None:
    assert pgflow("frobnicate").returncode == 2
    result = pgflow("compile")
    assert result.returncode == 2
    assert "FLOW_REF" in result.stderr


# -- FLOW_REF errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "fragment"),
    [
        ("no/such/file.py:Flow", "no such file"),
        ("no_such_module_xyz:Flow", "no module named 'no_such_module_xyz'"),
        (f"{ROOT}/python/pgflow/examples/fanout.py", "must define exactly one flow"),
        (f"{ROOT}/python/pgflow/examples/fanout.py:Nope", "has no attribute 'Nope'"),
        (f"{ROOT}/python/pgflow/examples/fanout.py:re", "is not a pgflow Flow (got module)"),
    ],
)
def test_bad_flow_ref_exits_2_without_traceback(ref: str, fragment: str) -> None:
    result = pgflow("compile", ref)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("pgflow: error: ")
    assert fragment in result.stderr
    no_traceback(result)


@pytest.mark.parametrize("command", ["inspect", "deploy"])
def test_flow_ref_is_loaded_before_connecting(command: str) -> None:
    result = pgflow(command, "no/such/file.py:Flow", url=UNREACHABLE)
    assert result.returncode == 2, result.stderr
    assert "no such file" in result.stderr


def test_invalid_definition_exits_2_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad_definition.py"
    path.write_text(
        "from pgflow import Flow\nF = Flow('f')\nF.add_step('a')\n"
        "F.add_step('b', depends_on=['c'])\n",
        encoding="utf-8",
    )
    result = pgflow("compile", f"{path}:F")
    assert result.returncode == 2
    assert "flow 'f', step 'b': unknown dependency 'c'" in result.stderr
    no_traceback(result)
    debug = pgflow("--debug", "compile", f"{path}:F")
    assert debug.returncode == 2
    assert "Traceback" in debug.stderr


# -- database URL errors -----------------------------------------------------


def test_missing_database_url_is_a_usage_error() -> None:
    result = pgflow("deploy", ANALYZE)
    assert result.returncode == 2
    assert "no database URL: pass --database-url URL or set DATABASE_URL" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("deploy", ANALYZE, "--database-url", UNREACHABLE),
        ("deploy", ANALYZE, "--database-url", "this is not a url"),
        ("deploy", ANALYZE, "--database-url", "postgresql://[bad"),
        ("install", "--database-url", UNREACHABLE),
        ("inspect", ANALYZE, "--check", "--database-url", UNREACHABLE),
    ],
)
def test_bad_or_unreachable_url_exits_4(args: tuple[str, ...]) -> None:
    result = pgflow(*args)
    assert result.returncode == 4, result.stderr
    assert "cannot connect to the database" in result.stderr
    no_traceback(result)


def test_option_wins_over_environment(database_url: str) -> None:
    result = pgflow("deploy", ANALYZE, "--database-url", database_url, url=UNREACHABLE)
    assert result.returncode == 0, result.stderr
    # the global form, before the command, works too
    result = pgflow("--database-url", database_url, "deploy", ANALYZE, url=UNREACHABLE)
    assert result.returncode == 0, result.stderr


# -- install -----------------------------------------------------------------


def test_install_creates_the_extension_once(empty_database_url: str) -> None:
    result = pgflow("install", url=empty_database_url)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"installed pgflow [\d.]+ \(extension [\d.]+\)\n", result.stdout)
    assert scalar(empty_database_url, "select extname from pg_extension where extname = 'pgflow'")
    again = pgflow("install", url=empty_database_url)
    assert again.returncode == 0
    assert "already installed (extension" in again.stdout
    deployed = pgflow("deploy", ANALYZE, url=empty_database_url)
    assert deployed.returncode == 0, deployed.stderr


def test_install_plain_runs_the_script(empty_database_url: str) -> None:
    result = pgflow("install", "--plain", url=empty_database_url)
    assert result.returncode == 0, result.stderr
    assert "(plain script)" in result.stdout
    assert (
        scalar(empty_database_url, "select count(*) from pg_extension where extname='pgflow'") == 0
    )
    assert scalar(empty_database_url, "select to_regclass('pgflow.flows') is not null")
    again = pgflow("install", "--plain", url=empty_database_url)
    assert "already installed (plain script)" in again.stdout
    deployed = pgflow("deploy", ANALYZE, url=empty_database_url)
    assert deployed.returncode == 0, deployed.stderr


def test_install_print_needs_no_database(tmp_path: Path, empty_database_url: str) -> None:
    result = pgflow("install", "--print")
    assert result.returncode == 0
    assert "create schema if not exists pgflow" in result.stdout
    # the printed script is a working migration
    script = tmp_path / "0001_pgflow.sql"
    script.write_text(result.stdout, encoding="utf-8")
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        conn.execute(script.read_bytes())
    assert scalar(empty_database_url, "select to_regclass('pgflow.steps') is not null")


@pytest.mark.parametrize("command", ["deploy", "inspect"])
def test_a_database_without_pgflow_says_to_install_it(
    empty_database_url: str, command: str
) -> None:
    result = pgflow(command, ANALYZE, url=empty_database_url)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "pgflow: error: pgflow is not installed in this database: run `pgflow install`\n"
    ), result.stderr
    no_traceback(result)


# -- compile -----------------------------------------------------------------


def test_compile_to_stdout_matches_the_golden_file() -> None:
    result = pgflow("compile", ANALYZE)
    assert result.returncode == 0
    assert result.stdout == (GOLDEN / "analyze_website_v2.sql").read_text(encoding="utf-8")


def test_compile_to_a_file_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "flow.sql"
    result = pgflow("compile", ANALYZE, "-o", str(target))
    assert result.returncode == 0
    assert target.read_text(encoding="utf-8") == pgflow("compile", ANALYZE).stdout
    target.write_text("-- edited by hand\n", encoding="utf-8")
    again = pgflow("compile", ANALYZE, "-o", str(target))
    assert again.returncode == 1
    assert f"refusing to overwrite {target}" in again.stderr
    assert target.read_text(encoding="utf-8") == "-- edited by hand\n"


def test_compile_into_a_migrations_dir(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    result = pgflow("compile", ANALYZE, "--migrations-dir", str(migrations))
    assert result.returncode == 0, result.stderr
    files = list(migrations.iterdir())
    assert len(files) == 1
    assert re.fullmatch(r"\d{14}_pgflow_analyze_website_v2\.sql", files[0].name)
    assert result.stdout.strip() == str(files[0])

    # same shape again: nothing to write, success
    again = pgflow("compile", ANALYZE, "--migrations-dir", str(migrations))
    assert again.returncode == 0
    assert "nothing written" in again.stderr
    assert len(list(migrations.iterdir())) == 1

    # another shape under the same slug: refused, the immutability rule
    changed = pgflow("compile", changed_analyze(tmp_path), "--migrations-dir", str(migrations))
    assert changed.returncode == 3
    assert "already registers flow 'analyze_website_v2' with a different shape" in changed.stderr
    assert "new flow slug" in changed.stderr
    assert len(list(migrations.iterdir())) == 1


def test_compile_into_a_missing_dir_fails(tmp_path: Path) -> None:
    result = pgflow("compile", ANALYZE, "--migrations-dir", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_compiled_migration_applies_with_psql_semantics(database_url: str, tmp_path: Path) -> None:
    """The file is what a migration tool runs: applying it twice is a no-op."""
    target = tmp_path / "m.sql"
    assert pgflow("compile", ANALYZE, "-o", str(target)).returncode == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(target.read_bytes())
        conn.execute(target.read_bytes())
    assert scalar(database_url, "select count(*) from pgflow.steps") == 4


# -- deploy ------------------------------------------------------------------


def test_deploy_prod_creates_then_is_a_no_op(database_url: str) -> None:
    first = pgflow("deploy", ANALYZE, url=database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created flow 'analyze_website_v2' (4 steps, hash ")
    second = pgflow("deploy", ANALYZE, url=database_url)
    assert second.returncode == 0
    assert "is up to date" in second.stdout
    assert scalar(database_url, "select count(*) from pgflow.steps") == 4


def test_deploy_prod_refuses_a_different_shape(database_url: str, tmp_path: Path) -> None:
    assert pgflow("deploy", ANALYZE, url=database_url).returncode == 0
    result = pgflow("deploy", changed_analyze(tmp_path), url=database_url)
    assert result.returncode == 3
    assert (
        "flow 'analyze_website_v2' already exists in the database with a different shape"
        in result.stderr
    )
    assert "step 'notify': only in code" in result.stderr
    assert "flows are immutable" in result.stderr
    no_traceback(result)
    assert scalar(database_url, "select count(*) from pgflow.steps") == 4


def test_force_requires_dev(database_url: str) -> None:
    result = pgflow("deploy", ANALYZE, "--force", url=database_url)
    assert result.returncode == 2
    assert "only allowed with --dev" in result.stderr
    assert scalar(database_url, "select count(*) from pgflow.flows") == 0


def test_deploy_dev_force_recreates_and_says_what_it_dropped(
    database_url: str, tmp_path: Path
) -> None:
    assert pgflow("deploy", ANALYZE, url=database_url).returncode == 0
    scalar(
        database_url,
        "select run_id from pgflow.start_flow('analyze_website_v2', '{\"url\": \"https://x.y\"}')",
    )
    changed = changed_analyze(tmp_path)

    without_force = pgflow("deploy", changed, "--dev", url=database_url)
    assert without_force.returncode == 3
    assert "add --force" in without_force.stderr
    assert scalar(database_url, "select count(*) from pgflow.runs") == 1

    forced = pgflow("deploy", changed, "--dev", "--force", url=database_url)
    assert forced.returncode == 0, forced.stderr
    assert "recreated flow 'analyze_website_v2' (5 steps" in forced.stdout
    assert "dropped the old definition and 1 run(s)" in forced.stdout
    assert "step 'notify': only in code" in forced.stdout
    assert scalar(database_url, "select count(*) from pgflow.runs") == 0
    assert scalar(database_url, "select count(*) from pgflow.steps") == 5

    # --dev --force on an unchanged flow is still a no-op
    again = pgflow("deploy", changed, "--dev", "--force", url=database_url)
    assert again.returncode == 0
    assert "is up to date" in again.stdout


# -- inspect -----------------------------------------------------------------


def test_inspect_offline_prints_manifest_and_dag() -> None:
    result = pgflow("inspect", ANALYZE)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("flow analyze_website_v2\n")
    assert "shape hash" in out
    assert "max_attempts=3 base_delay=1 timeout=30" in out
    assert re.search(r"3\s+saveToDb\s+single\s+sentiment, summary\s+save_to_db", out)
    assert re.search(r"2\s+saveToDb\s+<- sentiment, summary", out)
    assert "database:" not in out


def test_inspect_shows_map_steps_and_conditions(tmp_path: Path) -> None:
    path = tmp_path / "conditional.py"
    path.write_text(
        "from pgflow import Flow\n"
        "F = Flow('cond')\n"
        "F.add_step('items', map=True)\n"
        "F.add_step('vip', depends_on='items', run_if={'run': {'vip': True}}, timeout=5)\n",
        encoding="utf-8",
    )
    out = pgflow("inspect", f"{path}:F").stdout
    assert re.search(r"items\s+map", out)
    assert 'timeout=5 run_if={"run": {"vip": true}} when_unmet=skip' in out
    assert "[map]" in out
    assert "[conditional]" in out


def test_inspect_compares_code_and_database(database_url: str, tmp_path: Path) -> None:
    absent = pgflow("inspect", ANALYZE, url=database_url)
    assert absent.returncode == 0
    assert "database: not deployed" in absent.stdout
    assert pgflow("inspect", ANALYZE, "--check", url=database_url).returncode == 3

    assert pgflow("deploy", ANALYZE, url=database_url).returncode == 0
    same = pgflow("inspect", ANALYZE, "--check", url=database_url)
    assert same.returncode == 0
    assert "database: identical" in same.stdout

    changed = pgflow("inspect", changed_analyze(tmp_path), "--check", url=database_url)
    assert changed.returncode == 3
    assert "database: DIFFERENT" in changed.stdout
    assert "step 'notify': only in code" in changed.stdout

    offline = pgflow("inspect", ANALYZE, "--offline", url=database_url)
    assert "database:" not in offline.stdout


def test_inspect_json(database_url: str) -> None:
    assert pgflow("deploy", ANALYZE, url=database_url).returncode == 0
    result = pgflow("inspect", ANALYZE, "--json", url=database_url)
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["flow_slug"] == "analyze_website_v2"
    assert [step["step_slug"] for step in document["steps"]] == [
        "website",
        "sentiment",
        "summary",
        "saveToDb",
    ]
    assert document["steps"][3]["deps"] == ["sentiment", "summary"]
    assert document["steps"][3]["level"] == 2
    assert document["database"]["state"] == "identical"
    assert document["database"]["shape_hash"] == document["shape_hash"]
