# pgflow: build, install, test, lint. GNU make; run `make help`.
#
# Every target that needs a tool depends on `bootstrap` (scripts/bootstrap.sh),
# so a fresh Debian machine needs nothing but make: `make test` installs the
# rest. NO_BOOTSTRAP=1 skips that step (e.g. in Dockerfile.postgres).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PG_MAJOR ?= 15
PGBIN ?= /usr/lib/postgresql/$(PG_MAJOR)/bin
# Recursive (=) on purpose: expanded inside recipes, i.e. after bootstrap may
# have installed PostgreSQL.
PG_CONFIG ?= $(firstword $(wildcard $(PGBIN)/pg_config) pg_config)
VENV ?= .venv
PY := $(VENV)/bin/python
export PG_MAJOR PGBIN NO_BOOTSTRAP VENV

# --- sources and generated files ------------------------------------------------
VERSION := $(shell sed -n "s/^ *default_version *= *'\([^']*\)'.*/\1/p" extension/pgflow.control)
ifeq ($(VERSION),)
$(error cannot read default_version from extension/pgflow.control)
endif

# The build rules live in scripts/build_sql.py (standard library only), which the
# wheel's build hook (hatch_build.py) runs too: `pip wheel .` and `make dist`
# produce the same SQL. It writes only what changed, so `build` always runs it.
PYTHON3 ?= python3
BUILD_SQL = $(PYTHON3) scripts/build_sql.py

HEADER   := $(wildcard extension/header.sql)
SRC      := $(sort $(wildcard extension/src/*.sql))
EXT_ONLY := $(wildcard extension/extension_only.sql)
# Hand-written parts of upgrades (the build appends the functions to them).
UPGRADES := $(sort $(wildcard extension/upgrades/*.sql))

EXT_SQL     := extension/pgflow--$(VERSION).sql
PKG_SQL_DIR := python/pgflow/sql
PLAIN_SQL   := $(PKG_SQL_DIR)/pgflow_plain.sql

# --- phony targets --------------------------------------------------------------
.PHONY: help build install test test-sql test-python lint lint-sql lint-python \
        lint-plpgsql fmt demo playground bench dist clean distclean bootstrap bootstrap-system

help:
	@echo "make build        generate $(EXT_SQL) and $(PKG_SQL_DIR)/ (plain install script)"
	@echo "make install      build + copy control/scripts into \$$(pg_config --sharedir)/extension"
	@echo "make check        the whole suite, as CI runs it: lint, test, chaos --quick, bench --quick"
	@echo "make test         pgTAP + pytest against a throwaway cluster (PYTEST_ARGS=...)"
	@echo "make test-sql     pgTAP only;  make test-python: pytest only"
	@echo "make lint         sqlfluff, ruff, mypy, plpgsql_check (make -k lint: report all)"
	@echo "make fmt          ruff format + ruff --fix + sqlfluff fix"
	@echo "make demo         python -m pgflow.demo in a throwaway cluster"
	@echo "make playground   the demo's flows and runs, then \`pgflow ui\` on http://127.0.0.1:8765/"
	@echo "make bench        python -m pgflow_bench (bench/) \$$(BENCH_ARGS) in a throwaway cluster"
	@echo "make dist         wheel into build/dist/"
	@echo "make clean        remove generated files and caches (distclean: also .venv)"

ifdef NO_BOOTSTRAP
bootstrap bootstrap-system: ;
else
bootstrap:
	@bash scripts/bootstrap.sh

bootstrap-system:
	@bash scripts/bootstrap.sh --system
endif

# extension/pgflow--$(VERSION).sql and pgflow--FROM--$(VERSION).sql, and in
# $(PKG_SQL_DIR)/ everything the wheel ships: control, every pgflow--*.sql the
# sharedir needs (history/ included), the plain script.
build:
	@$(BUILD_SQL)

# No PGXS: a pure SQL extension is just files in the sharedir: the same set the
# wheel ships (`pgflow install-files` installs it from there). Files already
# identical are left alone, so this is a no-op (and needs no root) when current.
install: build bootstrap-system
	@extdir="$$($(PG_CONFIG) --sharedir)/extension"; \
	for f in $(PKG_SQL_DIR)/pgflow.control $(PKG_SQL_DIR)/pgflow--*.sql; do \
	  dest="$$extdir/$${f##*/}"; \
	  cmp -s "$$f" "$$dest" && continue; \
	  echo "install $$f -> $$extdir/"; \
	  install -m 644 "$$f" "$$dest.tmp.$$$$" && mv -f "$$dest.tmp.$$$$" "$$dest"; \
	done

# --- tests ------------------------------------------------------------------------
test: bootstrap build
	scripts/with-postgres.sh scripts/run-tests.sh $(PYTEST_ARGS)

test-sql: bootstrap build
	SKIP_PYTEST=1 scripts/with-postgres.sh scripts/run-tests.sh

test-python: bootstrap build
	SKIP_PGTAP=1 scripts/with-postgres.sh scripts/run-tests.sh $(PYTEST_ARGS)

# --- lint -------------------------------------------------------------------------
# Hand-written SQL only (generated files are also listed in .sqlfluffignore).
# pgTAP tests and their helpers get more rules excluded: see .sqlfluff for why.
SQL_SRC_FILES = $(HEADER) $(SRC) $(EXT_ONLY) $(UPGRADES)
SQL_TEST_DIRS = $(foreach d,tests/sql tests/sql_helpers,\
                  $(if $(shell find $(d) -name '*.sql' -print -quit 2>/dev/null),$(d)))
PGTAP_EXCLUDE_RULES := RF04,AM04,LT02,LT05,LT09,LT14
# The filter silences a harmless multiprocessing warning printed at exit.
SQLFLUFF := PYTHONWARNINGS=ignore::UserWarning:multiprocessing.resource_tracker \
            $(VENV)/bin/sqlfluff lint --processes 2
PY_DIRS = $(sort $(foreach d,python bench tests/python tests/chaos scripts,\
            $(if $(shell find $(d) -name '*.py' -print -quit 2>/dev/null),$(d))) \
            $(wildcard hatch_build.py))

lint: lint-sql lint-python lint-plpgsql

# Both groups run even when the first fails, so one run reports everything.
lint-sql: bootstrap
	@rc=0; \
	$(if $(strip $(SQL_SRC_FILES)),$(SQLFLUFF) $(SQL_SRC_FILES) || rc=1;,echo "sqlfluff: no SQL sources yet";) \
	$(if $(strip $(SQL_TEST_DIRS)),$(SQLFLUFF) --exclude-rules $(PGTAP_EXCLUDE_RULES) $(SQL_TEST_DIRS) || rc=1;) \
	exit $$rc

lint-python: bootstrap
ifeq ($(PY_DIRS),)
	@echo "ruff/mypy: no Python files yet"
else
	$(VENV)/bin/ruff check $(PY_DIRS)
	$(VENV)/bin/ruff format --check $(PY_DIRS)
	$(VENV)/bin/mypy $(PY_DIRS)
endif

lint-plpgsql: bootstrap build
	scripts/with-postgres.sh scripts/plpgsql-check.sh

fmt: bootstrap
	$(if $(PY_DIRS),$(VENV)/bin/ruff check --fix $(PY_DIRS))
	$(if $(PY_DIRS),$(VENV)/bin/ruff format $(PY_DIRS))
	-$(if $(strip $(SQL_SRC_FILES)),$(VENV)/bin/sqlfluff fix $(SQL_SRC_FILES))
	-$(if $(strip $(SQL_TEST_DIRS)),$(VENV)/bin/sqlfluff fix \
	   --exclude-rules $(PGTAP_EXCLUDE_RULES) $(SQL_TEST_DIRS))

# --- run things -------------------------------------------------------------------
demo: bootstrap build
	scripts/with-postgres.sh $(PY) -m pgflow.demo $(DEMO_ARGS)

# The same throwaway database as the demo, the example flows running, and the
# playground serving them until Ctrl-C (PLAYGROUND_ARGS: --port N, --host H).
playground: bootstrap build
	scripts/with-postgres.sh $(PY) -m pgflow.ui.playground $(PLAYGROUND_ARGS)

bench: build
	PGFLOW_EXTRAS=dev,bench bash scripts/bootstrap.sh
	PYTHONPATH=$(CURDIR)/bench scripts/with-postgres.sh $(PY) -m pgflow_bench $(BENCH_ARGS)

# Fault injection (issue 9): worker SIGKILLs, server crash-restarts (on a cluster
# of its own), racing transitions, a fuzz of every SQL entry point, the attack
# catalogue. Prints figures; exits non-zero on any loss, double completion,
# unexpected error or failed check. CHAOS_ARGS: --quick, --parts, --seed N.
.PHONY: chaos check
chaos: bootstrap build
	scripts/with-postgres.sh $(PY) -m tests.chaos $(CHAOS_ARGS)

# The whole suite, as CI runs it (.ci/run): lint, pgTAP + pytest, the
# fault-injection suite at small scale, and the benchmark's smallest setting
# (not a test: it prints figures and asserts no speed, but it must not rot).
check:
	@echo "::: make lint"; $(MAKE) --no-print-directory lint
	@echo "::: make test"; $(MAKE) --no-print-directory test
	@echo "::: make chaos --quick"; $(MAKE) --no-print-directory chaos CHAOS_ARGS=--quick
	@echo "::: make bench --quick"; $(MAKE) --no-print-directory bench BENCH_ARGS=--quick

# The wheel's build hook (hatch_build.py) runs scripts/build_sql.py itself: this
# is the same wheel as `pip wheel .` or `python -m build` (the sdist carries the
# SQL sources and the build script).
dist: bootstrap
	rm -rf build/dist
	$(PY) -m pip wheel --no-deps -q -w build/dist .
	@ls -l build/dist

clean:
	rm -f extension/pgflow--*.sql
	rm -rf $(PKG_SQL_DIR)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find python bench tests scripts -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true

distclean: clean
	rm -rf $(VENV)
