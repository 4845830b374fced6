"""Fixtures for the install tests: empty databases, pgflow's schema as text, the SQL files.

* ``new_database`` (function): a factory of empty databases (no pgflow), all
  dropped after the test; returns each one's URL.
* ``schema_of`` (session): every object of schema ``pgflow`` as sorted text
  lines: functions with their full definition (body, settings, security) and
  grants, columns in order with type, nullability and default, view
  definitions, constraints, indexes, table grants, comments, the schema's grants; with
  ``extension=True`` also what the extension owns. Two databases with the same
  lines have the same pgflow.
* ``pg_dump_schema`` (session): ``pg_dump --schema-only --schema=pgflow``;
  ``psql`` (session): ``psql(url, *args)``; ``pg_bin``: a client program's path.
* ``sql_files`` (session): the build's output directory (python/pgflow/sql).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pgflow.tools.scratch import scratch_database

ROOT = Path(__file__).resolve().parents[3]

SCHEMA = """
select 'function ' || p.oid::regprocedure::text || E'\\n' || pg_get_functiondef(p.oid)
from pg_proc as p where p.pronamespace = 'pgflow'::regnamespace
union all
select 'function grant ' || p.oid::regprocedure::text || ' '
       || coalesce(array_to_string(p.proacl, ','), '(default)')
from pg_proc as p where p.pronamespace = 'pgflow'::regnamespace
union all
select format('column %s.%s #%s %s notnull=%s default=%s', c.relname, a.attname,
              row_number() over (partition by c.oid order by a.attnum),
              format_type(a.atttypid, a.atttypmod), a.attnotnull,
              coalesce(pg_get_expr(d.adbin, d.adrelid), '(none)'))
from pg_attribute as a
join pg_class as c on c.oid = a.attrelid
left join pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
where c.relnamespace = 'pgflow'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
  and a.attnum > 0 and not a.attisdropped
union all
select 'relation ' || c.relname || ' kind=' || c.relkind::text || ' '
       || coalesce(array_to_string(c.relacl, ','), '(default)')
from pg_class as c where c.relnamespace = 'pgflow'::regnamespace
union all
select 'view ' || c.relname || E'\n' || pg_get_viewdef(c.oid)
from pg_class as c where c.relnamespace = 'pgflow'::regnamespace and c.relkind = 'v'
union all
select 'constraint ' || conrelid::regclass::text || ' ' || conname
       || ' ' || pg_get_constraintdef(oid)
from pg_constraint where connamespace = 'pgflow'::regnamespace
union all
select 'index ' || indexdef from pg_indexes where schemaname = 'pgflow'
union all
select 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description
from pg_description as d
where (d.classoid = 'pg_class'::regclass
       and d.objoid in (select oid from pg_class where relnamespace = 'pgflow'::regnamespace))
   or (d.classoid = 'pg_proc'::regclass
       and d.objoid in (select oid from pg_proc where pronamespace = 'pgflow'::regnamespace))
union all
select 'type ' || t.typname || ' ' || t.typtype::text
from pg_type as t where t.typnamespace = 'pgflow'::regnamespace
union all
select 'schema grant ' || coalesce(array_to_string(nspacl, ','), '(default)')
from pg_namespace where nspname = 'pgflow'
"""

EXTENSION_MEMBERS = """
select 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
from pg_depend as d
join pg_extension as e on d.refclassid = 'pg_extension'::regclass and d.refobjid = e.oid
where e.extname = 'pgflow' and d.deptype = 'e'
union all
select 'config ' || c::regclass::text
from pg_extension as e, unnest(e.extconfig) as c where e.extname = 'pgflow'
"""


@pytest.fixture
def new_database(server_url: str) -> Iterator[Callable[[], str]]:
    with contextlib.ExitStack() as stack:

        def create() -> str:
            return stack.enter_context(scratch_database(server_url, prefix="pgflow_inst")).url

        yield create


def _schema_of(target: str | psycopg.Connection[Any], *, extension: bool = False) -> list[str]:
    """``target``: a URL, or an open connection (to see its uncommitted transaction)."""
    query = (SCHEMA + ("union all" + EXTENSION_MEMBERS if extension else "")).encode()
    if isinstance(target, str):
        with psycopg.connect(target) as conn:
            return sorted(row[0] for row in conn.execute(query))
    return sorted(row[0] for row in target.execute(query))


@pytest.fixture(scope="session")
def schema_of() -> Callable[..., list[str]]:
    return _schema_of


def _pg_bin(name: str) -> str:
    pgbin = os.environ.get("PGBIN")
    if pgbin and (Path(pgbin) / name).is_file():
        return str(Path(pgbin) / name)
    bindir = subprocess.run(
        ["pg_config", "--bindir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    found = Path(bindir) / name
    return str(found) if found.is_file() else (shutil.which(name) or name)


@pytest.fixture(scope="session")
def pg_bin() -> Callable[[str], str]:
    """Path of a PostgreSQL client program of the server's version (pg_dump, psql)."""
    return _pg_bin


def libpq_env(url: str) -> dict[str, str]:
    """The environment that points psql/pg_dump at ``url`` (no password in argv)."""
    params = conninfo_to_dict(url)
    keys = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE"}
    env = {**os.environ}
    for key, var in keys.items():
        if params.get(key):
            env[var] = str(params[key])
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    return env


@pytest.fixture(scope="session")
def psql() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``psql(url, *args)``: run psql (stop on the first error), capture its output."""

    def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],
            env=libpq_env(url),
            capture_output=True,
            text=True,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def pg_dump_schema() -> Callable[[str], str]:
    def dump(url: str) -> str:
        result = subprocess.run(
            [_pg_bin("pg_dump"), "--schema-only", "--schema=pgflow"],
            env=libpq_env(url),
            capture_output=True,
            text=True,
            check=True,
        )
        # Keep the objects: not the versions in the header, nor the random key of
        # pg_dump's \restrict guard.
        return "\n".join(
            line
            for line in result.stdout.splitlines()
            if not line.startswith(("-- Dumped", "\\restrict", "\\unrestrict"))
        )

    return dump


@pytest.fixture(scope="session")
def sql_files() -> Path:
    directory = ROOT / "python" / "pgflow" / "sql"
    assert (directory / "pgflow_plain.sql").is_file(), "run `make build` first"
    return directory
