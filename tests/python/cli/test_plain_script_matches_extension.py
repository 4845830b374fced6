"""The plain install script creates exactly the objects CREATE EXTENSION creates."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgflow.define.install import plain_script
from pgflow.tools.scratch import scratch_database

# Every object of schema pgflow that a user or a worker relies on, as text rows:
# functions with their signature, security and settings; columns with their
# type; constraints with their definition; indexes with theirs; grants.
CATALOG = """
select 'function ' || p.oid::regprocedure::text || ' definer=' || p.prosecdef
       || ' config=' || coalesce(array_to_string(p.proconfig, ','), '')
from pg_proc as p where p.pronamespace = 'pgflow'::regnamespace
union all
select 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull=' || a.attnotnull
from pg_attribute as a join pg_class as c on c.oid = a.attrelid
where c.relnamespace = 'pgflow'::regnamespace and c.relkind in ('r', 'v')
  and a.attnum > 0 and not a.attisdropped
union all
select 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid)
from pg_class as c where c.relnamespace = 'pgflow'::regnamespace and c.relkind = 'v'
union all
select 'constraint ' || conrelid::regclass::text || ' ' || conname
       || ' ' || pg_get_constraintdef(oid)
from pg_constraint where connamespace = 'pgflow'::regnamespace
union all
select 'index ' || indexdef from pg_indexes where schemaname = 'pgflow'
union all
select 'grant ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), '')
from pg_class as c where c.relnamespace = 'pgflow'::regnamespace and c.relkind in ('r', 'v')
union all
select 'grant ' || p.oid::regprocedure::text || ' ' || coalesce(array_to_string(p.proacl, ','), '')
from pg_proc as p where p.pronamespace = 'pgflow'::regnamespace
order by 1
"""


@pytest.fixture
def plain_database_url(server_url: str) -> Iterator[str]:
    with scratch_database(server_url, prefix="pgflow_plain") as database:
        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute(plain_script().encode())
        yield database.url


def catalog(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(CATALOG)]


def test_the_plain_script_creates_the_same_objects_as_the_extension(
    database_url: str, plain_database_url: str
) -> None:
    from_extension = catalog(database_url)
    assert any(line.startswith("function pgflow.claim_tasks(") for line in from_extension)
    assert catalog(plain_database_url) == from_extension
