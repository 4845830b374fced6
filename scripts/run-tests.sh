#!/usr/bin/env bash
# The whole test suite; run inside scripts/with-postgres.sh (that is `make test`).
#
#   scripts/run-tests.sh [PYTEST_ARGS...]
#
# 1. pgTAP: database pgflow_tap with pgtap + pgflow + tests/sql_helpers/*.sql,
#    then pg_prove over tests/sql (extra pg_prove options: PG_PROVE_ARGS).
# 2. pytest ($VENV/bin/pytest, default .venv) with the arguments given.
# Both always run; the exit code is non-zero if either failed.
# SKIP_PGTAP=1 / SKIP_PYTEST=1 run only one half (make test-python / test-sql).
set -uo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?not set: run the tests with 'make test' (scripts/with-postgres.sh)}"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

pgtap_result=skipped
pytest_result=skipped

run_pgtap() {
  local files
  files="$(find tests/sql -name '*.sql' 2>/dev/null | head -n 1)"
  if [[ -z "$files" ]]; then
    echo "pgTAP: no .sql files under tests/sql yet: nothing to run"
    pgtap_result="NONE (no pgTAP tests found)"
    return
  fi
  echo "=== pgTAP ==="
  pgtap_result=FAILED
  psql -d postgres -c 'drop database if exists pgflow_tap' -c 'create database pgflow_tap' || return
  psql -d pgflow_tap -c 'create extension pgtap' -c 'create extension pgflow' || return
  # Shared helpers (schema pgflow_tests), loaded in name order.
  local helper
  for helper in $(find tests/sql_helpers -name '*.sql' 2>/dev/null | LC_ALL=C sort); do
    echo "loading $helper"
    psql -d pgflow_tap -f "$helper" || return
  done
  # shellcheck disable=SC2086  # PG_PROVE_ARGS is a list of options
  pg_prove -d pgflow_tap --ext .sql -r ${PG_PROVE_ARGS:-} tests/sql && pgtap_result=passed
}

run_pytest() {
  echo "=== pytest ==="
  if "${VENV:-.venv}/bin/pytest" "$@"; then pytest_result=passed; else pytest_result="FAILED (exit $?)"; fi
}

[[ -n "${SKIP_PGTAP:-}" ]] || run_pgtap
[[ -n "${SKIP_PYTEST:-}" ]] || run_pytest "$@"

echo
echo "=== summary ==="
echo "pgTAP:  $pgtap_result"
echo "pytest: $pytest_result"
[[ "$pgtap_result" != FAILED* && "$pytest_result" != FAILED* ]]
