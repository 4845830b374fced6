"""Part ``fuzz``: hypothesis-generated hostile arguments for every SQL entry point.

Every function of schema pgflow is read from the catalog. Entry points are
called, as the least privileged role that may call them, with values built
by type (huge, unicode, SQL metacharacters, deep and invalid JSON, wrong
JSON types, nulls, extreme integers, multi-dimensional arrays) mixed with
existing slugs and ids. Only success, ``PFxxx`` or class 22 errors (class 54
for huge input) are allowed; the state must stay consistent after each
function's calls, and the server must not restart. Helpers must not be
executable by the restricted roles, and nothing by a role outside them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from tests.chaos.fuzz.calls import Verdict, call
from tests.chaos.fuzz.catalog import Function, read_functions
from tests.chaos.fuzz.seed import read_known, seed_state
from tests.chaos.fuzz.values import OMIT, Arg, Known, strategy_for, typical
from tests.chaos.harness import audit, invariants
from tests.chaos.harness.db import Conn, Roles, connect, scalar, scratch_database
from tests.chaos.harness.figures import Figures
from tests.chaos.harness.scale import Scale

__all__ = ["run"]

LAST = ("prune_runs", "prune_workers", "drop_flow")
"""Fuzzed last: they remove the runs and flows the others are given."""


class Sessions:
    """One connection per caller role, reopened if a call broke it."""

    def __init__(self, url: str, roles: Roles) -> None:
        self.urls = {
            "owner": url,
            "worker": roles.url(url, roles.worker),
            "client": roles.url(url, roles.client),
        }
        self.conns: dict[str, Conn] = {}

    def get(self, role: str) -> Conn:
        conn = self.conns.get(role)
        if conn is None or conn.closed or conn.broken:
            conn = connect(self.urls[role], application_name=f"chaos-fuzz-{role}")
            conn.execute("set statement_timeout = '60s'")
            self.conns[role] = conn
        return conn

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def explicit_examples(function: Function, known: Known) -> list[list[Any]]:
    """Every argument null; then each argument alone null, or two-dimensional for an
    array, the others ordinary."""
    ordinary = [typical(a.type, known) for a in function.arguments]
    examples = [[Arg(None)] * len(ordinary)]
    for i, value in enumerate(ordinary):
        variants = [Arg(None)]
        if isinstance(value.value, list):
            variants.append(Arg([list(value.value), list(value.value)]))
        examples.extend([*ordinary[:i], variant, *ordinary[i + 1 :]] for variant in variants)
    return examples


def argument_strategy(function: Function, known: Known) -> st.SearchStrategy[list[Any]] | None:
    parts: list[st.SearchStrategy[Any]] = []
    for argument in function.arguments:
        strategy = strategy_for(argument.type, known)
        if strategy is None:
            return None
        if argument.has_default:
            strategy = st.one_of(strategy, strategy, strategy, st.just(OMIT))
        parts.append(strategy)
    return st.tuples(*parts).map(list)


class Tally:
    """Outcomes of the calls; each finding reported once per function, SQLSTATE and kind."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.outcomes: Counter[str] = Counter()
        self.unsendable: set[str] = set()
        self.findings: dict[tuple[str, str | None, bool], str] = {}
        self.counts: Counter[tuple[str, str | None, bool]] = Counter()

    def record(self, function: Function, role: str, verdict: Verdict) -> None:
        self.figures.faults += 1
        self.figures.tasks_checked += 1
        if verdict.unsendable:
            self.outcomes["unsendable"] += 1
            self.unsendable.add(f"{function.name}: {verdict.problem}")
            return
        self.outcomes[verdict.sqlstate or "ok"] += 1
        if verdict.problem:
            key = (function.name, verdict.sqlstate, verdict.unbounded)
            self.findings.setdefault(key, f"as {role}: {verdict.problem}")
            self.counts[key] += 1

    def report(self) -> None:
        by_state = ", ".join(f"{k} {n}" for k, n in self.outcomes.most_common())
        self.figures.note(f"outcomes by SQLSTATE: {by_state}")
        for key, finding in self.findings.items():
            line = f"{finding} ({self.counts[key]} call(s) like it)"
            unbounded = key[2]
            (self.figures.failed_checks if unbounded else self.figures.unexpected_errors).append(
                line
            )
        for line in sorted(self.unsendable)[:5]:
            self.figures.note(f"psycopg could not send an argument or load a result: {line}")


def fuzz_function(
    function: Function, sessions: Sessions, tally: Tally, known: Known, scale: Scale, seed: int
) -> bool:
    """Call ``function`` with explicit then generated arguments; False if it cannot be fuzzed."""
    strategy = argument_strategy(function, known)
    if strategy is None:
        return False
    role = function.caller()

    def probe(args: list[Any]) -> None:
        tally.record(function, role, call(sessions.get(role), function, args))

    for args in explicit_examples(function, known):
        probe = example(args)(probe)
    test = hypothesis_seed(seed)(
        settings(
            max_examples=scale.fuzz_examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(strategy)(probe))
    )
    test()
    return True


def check_privileges(functions: list[Function], figures: Figures) -> None:
    for function in functions:
        figures.check(
            "nobody" not in function.executable_by,
            f"{function.signature} is executable by a role outside pgflow_worker/pgflow_client",
        )
        if not function.entry_point:
            figures.check(
                not function.executable_by,
                f"helper {function.signature} is executable by "
                + ", ".join(sorted(function.executable_by)),
            )


def run(server_url: str, roles: Roles, scale: Scale, seed: int) -> Figures:
    figures = Figures("fuzz")
    tally = Tally(figures)
    with scratch_database(server_url, "fuzz") as url, connect(url) as admin:
        audit.install_audit(admin)
        sessions = Sessions(url, roles)
        try:
            seed_state(admin, sessions.get("worker"), sessions.get("client"))
            server_started = scalar(admin, "select pg_postmaster_start_time()")
            functions = read_functions(admin, roles)
            check_privileges(functions, figures)
            entry_points = sorted(
                (f for f in functions if f.entry_point), key=lambda f: (f.name in LAST, f.name)
            )
            for function in entry_points:
                if not fuzz_function(function, sessions, tally, read_known(admin), scale, seed):
                    figures.note(f"{function.signature}: an argument type the fuzzer cannot make")
                    continue
                if function.name == "set_test_clock":
                    admin.execute("select pgflow.set_test_clock(null)")
                figures.check_none(
                    [f"after fuzzing {function.name}: {v}" for v in invariants.violations(admin)]
                )
            figures.double_completions.extend(audit.double_completions(admin))
            if scalar(admin, "select pg_postmaster_start_time()") != server_started:
                figures.unexpected_errors.append("the server restarted (crashed) during the fuzz")
        except psycopg.OperationalError as error:
            figures.unexpected_errors.append(f"lost the server during the fuzz: {error}")
        finally:
            sessions.close()
    tally.report()
    return figures
