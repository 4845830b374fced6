#!/usr/bin/env bash
# Install everything the build, tests and linters need, idempotently.
#
#   scripts/bootstrap.sh                 system packages + .venv with '.[dev]'
#   scripts/bootstrap.sh --system        system packages only (what `make install` needs)
#   PGFLOW_EXTRAS=dev,bench scripts/bootstrap.sh   other extras for the venv
#
# Every make target that needs a tool runs this first, so it must be fast when
# there is nothing to do: it only asks dpkg what is installed and compares a
# stamp file with pyproject.toml. Set NO_BOOTSTRAP=1 to skip it entirely.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -n "${NO_BOOTSTRAP:-}" ]] && exit 0

PG_MAJOR="${PG_MAJOR:-15}"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
EXTRAS="${PGFLOW_EXTRAS:-dev}"
system_only=false
[[ "${1:-}" == "--system" ]] && system_only=true

say() { echo "bootstrap: $*"; }

# Two engineers (or make -j) may bootstrap at once: serialise on a lock when we
# can write one (the postgres user running with-postgres.sh cannot, and needs none).
mkdir -p build 2>/dev/null || true
if { exec 9>build/.bootstrap.lock; } 2>/dev/null; then flock 9; fi

# --- system packages ----------------------------------------------------------
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

packages=(
  make
  postgresql-common
  "postgresql-$PG_MAJOR"                     # server binaries (initdb, pg_ctl, postgres)
  "postgresql-client-$PG_MAJOR"              # psql
  "postgresql-$PG_MAJOR-pgtap"               # pgTAP extension
  libtap-parser-sourcehandler-pgtap-perl     # pg_prove
  "postgresql-$PG_MAJOR-plpgsql-check"       # make lint checks every PL/pgSQL body
)
# The playground's browser tests (tests/python/ui) drive Debian's headless
# Chromium through its chromedriver: no browser download at test time.
$system_only || packages+=(chromium chromium-driver)
# The venv needs the venv/ensurepip modules; Debian's own python3 splits them out.
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then packages+=(python3-venv); fi

missing=()
for p in "${packages[@]}"; do is_installed "$p" || missing+=("$p"); done

if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || { say "missing ${missing[*]}; run me as root once"; exit 1; }
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt_install() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
  # Tests start their own throwaway clusters: stop the server package from
  # creating (and starting) a "main" cluster on port 5432 that nobody uses.
  if ! is_installed "postgresql-$PG_MAJOR"; then
    is_installed postgresql-common || apt_install postgresql-common
    sed -ri 's/^#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
      /etc/postgresql-common/createcluster.conf
  fi
  apt_install "${missing[@]}"
else
  say "system packages present"
fi

$system_only && exit 0

# --- python venv ----------------------------------------------------------------
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { say "$PYTHON is older than 3.11"; exit 1; }

# Recreate a venv whose interpreter vanished (e.g. pyenv version removed).
if [[ -d "$VENV" ]] && ! "$VENV/bin/python" -c '' 2>/dev/null; then
  say "removing broken $VENV"
  rm -rf "$VENV"
fi
if [[ ! -d "$VENV" ]]; then
  say "creating $VENV with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$VENV"
fi

# One stamp per extras set: reinstall only when pyproject.toml is newer.
stamp="$VENV/.bootstrap-${EXTRAS//,/-}.stamp"
if [[ -f "$stamp" && "$stamp" -nt pyproject.toml ]]; then
  say "$VENV up to date (.[$EXTRAS])"
else
  say "pip install -e '.[$EXTRAS]' into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
  touch "$stamp"
fi
