"""``pgflow install-files``: the extension files from the package into a sharedir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg

from pgflow.define.install import extension_files, extension_version

PGFLOW = Path(sys.executable).parent / "pgflow"


def pgflow(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [str(PGFLOW), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_copies_the_control_file_and_every_script(tmp_path: Path) -> None:
    (tmp_path / "extension").mkdir()
    result = pgflow("install-files", "--sharedir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "extension").iterdir())
    version = extension_version()
    assert f"pgflow--{version}.sql" in names
    assert "pgflow.control" in names
    assert any(n.endswith(f"--{version}.sql") and n.count("--") == 2 for n in names), names
    assert names == sorted(f.name for f in extension_files())
    for file in extension_files():
        assert (tmp_path / "extension" / file.name).read_bytes() == file.read_bytes()
    assert f"default_version = '{version}'" in (tmp_path / "extension/pgflow.control").read_text()

    again = pgflow("install-files", "--sharedir", str(tmp_path))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("up to date") == len(names)


def test_print_shows_the_packaged_files_and_copies_nothing() -> None:
    result = pgflow("install-files", "--print")
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines() if not line.startswith("#")]
    assert [p.name for p in paths] == [f.name for f in extension_files()]
    assert all(p.is_file() for p in paths)


def test_a_directory_that_is_no_sharedir_is_refused(tmp_path: Path) -> None:
    result = pgflow("install-files", "--sharedir", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "pgflow: error:" in result.stderr
    assert "share directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_pgflow_install_creates_the_extension_from_the_installed_files(
    new_database: Callable[[], str],
) -> None:
    # The server's own sharedir (pg_config on PATH, as the server's machine has it).
    result = pgflow("install-files")
    assert result.returncode == 0, result.stderr
    url = new_database()
    installed = pgflow("install", url=url)
    assert installed.returncode == 0, installed.stderr
    with psycopg.connect(url) as conn:
        row = conn.execute("select extversion from pg_extension where extname = 'pgflow'")
        assert row.fetchone() == (extension_version(),)
