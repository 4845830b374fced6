"""Part ``races``: every scenario repeated on fresh flows, then the global checks.

For each scenario all repetitions are set up first (so one sleep lets every
lease of a lease scenario expire), then raced one by one. A racer's error is
an unexpected error; an outcome outside the legal ones is a failed check;
afterwards the audit triggers count double completions and the invariants
are checked on the whole database.
"""

from __future__ import annotations

import time
from collections import Counter

from tests.chaos.harness import audit, invariants
from tests.chaos.harness.db import Roles, connect, scratch_database
from tests.chaos.harness.figures import Figures
from tests.chaos.harness.scale import Scale
from tests.chaos.races.arena import Arena
from tests.chaos.races.scenarios import SCENARIOS

__all__ = ["run"]


def run(server_url: str, roles: Roles, scale: Scale, seed: int) -> Figures:
    del seed  # the interleavings come from the scheduler, not from a random choice
    figures = Figures("races")
    with scratch_database(server_url, "races") as url:
        with connect(url) as admin:
            audit.install_audit(admin)
        arena = Arena(url, roles)
        try:
            for scenario in SCENARIOS:
                endings: Counter[str] = Counter()
                states = [scenario.setup(arena) for _ in range(scale.race_repeats)]
                if scenario.lease_wait:
                    time.sleep(scenario.lease_wait)
                for state in states:
                    racers = scenario.racers(arena, state)
                    outcomes = arena.race(racers)
                    figures.faults += len(racers)
                    figures.tasks_checked += 1
                    figures.unexpected_errors.extend(
                        f"{scenario.name}: racer {i} raised {o.error}"
                        for i, o in enumerate(outcomes)
                        if o.error is not None
                    )
                    problems = scenario.check(arena, state, outcomes)
                    figures.check_none([f"{scenario.name}: {p}" for p in problems])
                    endings[arena.run_state(state.runs[0])[0]] += 1
                figures.note(
                    f"{scenario.name}: runs ended "
                    + ", ".join(f"{status} {n}" for status, n in sorted(endings.items()))
                )
            figures.double_completions.extend(audit.double_completions(arena.admin))
            figures.check_none(invariants.violations(arena.admin))
        finally:
            arena.close()
    figures.note(f"{len(SCENARIOS)} scenarios x {scale.race_repeats} repetitions")
    return figures
