#!/usr/bin/env bash
# Check every PL/pgSQL function of the pgflow extension with plpgsql_check.
# sqlfluff does not look inside $$ bodies; this does (unknown columns, type
# mismatches, dead code, unsafe dynamic SQL...). Run inside
# scripts/with-postgres.sh (`make lint-plpgsql`).
#
# Prints every finding; fails when any has level 'error'. Warnings are shown
# but do not fail unless PLPGSQL_CHECK_FAIL_ON_WARNINGS=1.
set -euo pipefail

: "${DATABASE_URL:?not set: run me through scripts/with-postgres.sh ('make lint')}"

PGOPTIONS="-c client_min_messages=warning" command psql -X -q -v ON_ERROR_STOP=1 -d pgflow \
  -v fail_on_warnings="${PLPGSQL_CHECK_FAIL_ON_WARNINGS:-0}" <<'SQL'
create extension if not exists pgflow;
create extension if not exists plpgsql_check;

-- Trigger functions can only be checked against a table: use one that has a
-- trigger calling the function (relid 0 = not a trigger function).
create temp table fns as
select
    p.oid,
    p.oid::regprocedure::text as fn,
    coalesce(
        (select t.tgrelid from pg_catalog.pg_trigger as t where t.tgfoid = p.oid limit 1),
        0
    )::regclass as relid
from pg_catalog.pg_proc as p
inner join pg_catalog.pg_language as l on p.prolang = l.oid
where p.pronamespace = 'pgflow'::regnamespace and l.lanname = 'plpgsql';

create temp table findings as
select f.fn, c.level, c.lineno, c.sqlstate, c.message, c.detail, c.hint, c.query
from fns as f
cross join lateral public.plpgsql_check_function_tb(
    f.oid, f.relid,
    fatal_errors => false, other_warnings => true, extra_warnings => true,
    security_warnings => true
) as c;

\pset footer off
\pset null ''
select fn as function, level, lineno as line, sqlstate, message, detail, hint, query
from findings
order by level = 'error' desc, fn, lineno;

select
    (select count(*) from fns) as n_functions,
    count(*) filter (where level = 'error') as n_errors,
    count(*) filter (where level <> 'error') as n_warnings,
    count(*) filter (where level = 'error') > 0
    or (:'fail_on_warnings' = '1' and count(*) > 0) as failed
from findings \gset
\echo plpgsql_check: :n_functions PL/pgSQL function(s) in schema pgflow, :n_errors error(s), :n_warnings warning(s)

\if :failed
-- A failing statement makes psql (ON_ERROR_STOP) exit non-zero.
do $$ begin raise exception 'plpgsql_check found problems (listed above)'; end $$;
\endif
SQL
