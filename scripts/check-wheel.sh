#!/usr/bin/env bash
# Packaging done-check: what a user gets from a standard build of a clean tree.
#
#   scripts/check-wheel.sh          (about a minute; needs the package index for
#                                    hatchling, build and psycopg)
#
# 1. Copies the source tree without .git, .venv and anything generated (the
#    SQL build outputs included), as a clean clone would have it.
# 2. Builds a wheel with `pip wheel .` and another with `python -m build`
#    (sdist, then the wheel from the sdist); both must carry pgflow/sql/
#    (control file, versioned and upgrade scripts, plain script), the same bytes.
#    A copy without extension/ must fail to build, saying why.
# 3. Installs the wheel into a fresh venv outside the repository, and against a
#    throwaway server whose sharedir has NO pgflow files (a relocated copy of
#    the server installation, as a managed or embedded PostgreSQL would be):
#      pgflow install          fails and names `pgflow install-files`
#      pgflow install --plain  installs the plain script
#      pgflow install-files    copies the files from the wheel into the sharedir
#      pgflow install          creates the extension
#      python -m pgflow.demo   runs every example flow
#      pgflow ui               (with the ui extra) serves its pages and vendored assets
# Prints "check-wheel: N passed, 0 failed" at the end; exits non-zero on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PG_MAJOR="${PG_MAJOR:-15}"
PGBIN="${PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}"
PYTHON="${PYTHON:-python3}"

work="$(mktemp -d /tmp/pgflow-wheel.XXXXXX)"
chmod 755 "$work"  # the server (user postgres when run as root) reads the relocated install
trap 'rm -rf "$work"' EXIT
passed=0
say() { echo "check-wheel: $*"; }
ok() { passed=$((passed + 1)); say "ok   $*"; }
fail() { say "FAIL $*"; say "$passed passed, 1 failed"; exit 1; }

# --- 1. a clean tree ------------------------------------------------------------
mkdir "$work/src"
tar -C "$ROOT" -c \
  --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*/__pycache__' \
  --exclude=./.mypy_cache --exclude=./.ruff_cache --exclude=./.pytest_cache \
  --exclude=./.hypothesis --exclude=./python/pgflow/sql --exclude='./extension/pgflow--*.sql' \
  --exclude=./bench-results . | tar -C "$work/src" -x
[[ ! -e "$work/src/python/pgflow/sql" ]] || fail "the copy has generated SQL"

# --- 2. standard builds -----------------------------------------------------------
"$PYTHON" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q build
(cd "$work/src" && "$work/tools/bin/python" -m pip wheel -q --no-deps -w "$work/pip" .) \
  || fail "pip wheel ."
ok "pip wheel . -> $(basename "$work"/pip/*.whl)"
"$work/tools/bin/python" -m build -q --outdir "$work/build" "$work/src" >/dev/null \
  || fail "python -m build"
ok "python -m build -> $(cd "$work/build" && echo *)"

sql_of() {  # the pgflow/sql/ members of a wheel, with a digest of each
  "$work/tools/bin/python" - "$1" <<'PY'
import hashlib, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in sorted(n for n in z.namelist() if n.startswith("pgflow/sql/")):
        print(name, hashlib.sha256(z.read(name)).hexdigest()[:16])
PY
}
pip_sql="$(sql_of "$work"/pip/*.whl)"
version="$(sed -n "s/^ *default_version *= *'\([^']*\)'.*/\1/p" "$ROOT/extension/pgflow.control")"
for member in pgflow.control "pgflow--$version.sql" pgflow_plain.sql; do
  grep -q "^pgflow/sql/$member " <<<"$pip_sql" || fail "the wheel has no pgflow/sql/$member"
done
grep -q -- "--$version.sql " <<<"$(grep -- '--.*--' <<<"$pip_sql")" \
  || fail "the wheel has no upgrade script into $version"
[[ "$pip_sql" == "$(sql_of "$work"/build/*.whl)" ]] \
  || fail "pip wheel and python -m build packed different SQL"
ok "both wheels carry the same pgflow/sql/: $(wc -l <<<"$pip_sql") files"
# `pgflow ui` serves its page from the wheel alone: templates, script, the
# vendored layout library and its licence (no CDN, no Node at install time).
ui_members="$("$work/tools/bin/python" -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$work"/pip/*.whl)"
for member in templates/run.html templates/flow.html static/dag.js static/live.js static/app.css \
  static/vendor/dagre.min.js static/vendor/dagre-LICENSE static/vendor/README.md; do
  grep -qx "pgflow/ui/$member" <<<"$ui_members" || fail "the wheel has no pgflow/ui/$member"
done
ok "the wheel carries pgflow ui's templates and static assets (dagre vendored, with its licence)"
if unzip -l "$work"/pip/*.whl 2>/dev/null | grep -q 'pgflow_bench\|pgflow/bench'; then
  fail "the wheel contains the benchmark harness"
fi

cp -a "$work/src" "$work/nosql" && rm -rf "$work/nosql/extension"
if out="$(cd "$work/nosql" && "$work/tools/bin/python" -m pip wheel -q --no-deps \
  -w "$work/nosql-dist" . 2>&1)"; then
  fail "a tree without extension/ built a wheel"
fi
grep -q "no pgflow SQL sources" <<<"$out" || fail "unclear failure without extension/: $out"
ok "without extension/ the build fails: no pgflow SQL sources"

# --- 3. the wheel, installed outside the repository ----------------------------------
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/pip/*.whl
cd "$work"
unset PYTHONPATH
where="$("$work/venv/bin/python" -c 'import pgflow; print(pgflow.__file__)')"
[[ "$where" == "$work/venv/"* ]] || fail "pgflow imported from $where"
ok "installed into a fresh venv ($where)"
# without the ui extra, `pgflow ui` says what to install (and the rest works)
if out="$("$work/venv/bin/pgflow" ui --database-url postgresql:///nowhere 2>&1)"; then
  fail "pgflow ui ran without the ui extra"
fi
grep -q "pip install 'pgflow-py\[ui\]'" <<<"$out" || fail "pgflow ui without the extra: $out"
ok "pgflow ui without the ui extra names it"

# A server installation without pgflow's files: a relocated copy (PostgreSQL
# finds its share directory relative to its binaries).
sharedir="$("$PGBIN/pg_config" --sharedir)"
prefix="$(cd "$PGBIN/.." && pwd)"
mkdir -p "$work/pg$prefix" "$work/pg$sharedir"
cp -a "$prefix/." "$work/pg$prefix/"
cp -a "$sharedir/." "$work/pg$sharedir/"
rm -f "$work/pg$sharedir"/extension/pgflow*
[[ "$("$work/pg$PGBIN/pg_config" --sharedir)" == "$work/pg$sharedir" ]] \
  || fail "the relocated server does not use its own sharedir"

export PGFLOW_CHECK_DIR="$work"
PGBIN="$work/pg$PGBIN" PGFLOW_SKIP_INSTALL=1 "$ROOT/scripts/with-postgres.sh" bash -c '
  set -euo pipefail
  venv="$PGFLOW_CHECK_DIR/venv/bin"
  psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
  psql -d postgres -c "create database plain_db" -c "create database ext_db"
  url() { echo "${DATABASE_URL%/*}/$1"; }
  if out="$("$venv/pgflow" install --database-url "$(url ext_db)" 2>&1)"; then
    echo "pgflow install succeeded without extension files"; exit 1
  fi
  grep -q "pgflow install-files" <<<"$out" || { echo "no hint: $out"; exit 1; }
  echo "check-wheel: ok   pgflow install without files fails with a hint"
  "$venv/pgflow" install --plain --database-url "$(url plain_db)"
  test "$(psql -d plain_db -tAc "select count(*) > 20 from pg_proc
          where pronamespace = '"'"'pgflow'"'"'::regnamespace")" = t
  echo "check-wheel: ok   pgflow install --plain"
  "$venv/pgflow" install-files --pg-config "$PGBIN/pg_config"
  "$venv/pgflow" install --database-url "$(url ext_db)"
  psql -d ext_db -tAc "select extversion from pg_extension where extname = '"'"'pgflow'"'"'"
  echo "check-wheel: ok   pgflow install-files, then pgflow install (create extension)"
  "$venv/python" -m pgflow.demo >"$PGFLOW_CHECK_DIR/demo.log" 2>&1 \
    || { tail -n 40 "$PGFLOW_CHECK_DIR/demo.log"; exit 1; }
  grep "all .* runs ended as expected" "$PGFLOW_CHECK_DIR/demo.log"
  echo "check-wheel: ok   python -m pgflow.demo"
  "$venv/python" -m pip install -q "$(ls "$PGFLOW_CHECK_DIR"/pip/*.whl)[ui]"
  "$venv/pgflow" ui --database-url "$(url ext_db)" --port 18765 --read-only \
    >"$PGFLOW_CHECK_DIR/ui.log" 2>&1 &
  ui_pid=$!
  "$venv/python" - <<PY || { kill "$ui_pid"; cat "$PGFLOW_CHECK_DIR/ui.log"; exit 1; }
import time, urllib.request
deadline = time.monotonic() + 30
while True:
    try:
        flows = urllib.request.urlopen("http://127.0.0.1:18765/flows").read().decode()
        dagre = urllib.request.urlopen("http://127.0.0.1:18765/static/vendor/dagre.min.js").read()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.2)
assert "Flows" in flows and len(dagre) > 10000, (flows[:200], len(dagre))
PY
  kill "$ui_pid"; wait "$ui_pid" || true
  echo "check-wheel: ok   pgflow ui serves its pages and assets from the wheel (ui extra)"
' || fail "against the server without pgflow files"
passed=$((passed + 5))
say "$passed passed, 0 failed"
