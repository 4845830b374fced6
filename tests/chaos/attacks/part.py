"""Part ``attacks``: the attack catalogue of issue 9, each in its own module.

(a) temp_domain, (b) clock, (c) claims, (d) notify, (e) poison, (f) messages;
all but the definition calls of (f) run as the suite's login roles that are
members of pgflow_worker or pgflow_client (or of neither). One attack
crashing is an unexpected error; the others still run.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

from tests.chaos.attacks import claims, clock, messages, notify, poison, temp_domain
from tests.chaos.attacks.context import Attack
from tests.chaos.harness import audit, invariants
from tests.chaos.harness.db import Roles, connect, scratch_database
from tests.chaos.harness.figures import Figures
from tests.chaos.harness.scale import Scale

__all__ = ["run"]

ATTACKS: dict[str, Callable[[Attack, Figures], None]] = {
    "(a) temp-domain": temp_domain.run,
    "(b) clock": clock.run,
    "(c) unclaimed completions": claims.run,
    "(d) forged notification": notify.run,
    "(e) poison payload": poison.run,
    "(f) bounded messages": messages.run,
}


def run(server_url: str, roles: Roles, scale: Scale, seed: int) -> Figures:
    del scale, seed  # the catalogue is fixed
    figures = Figures("attacks")
    with scratch_database(server_url, "attacks") as url, connect(url) as admin:
        audit.install_audit(admin)
        ctx = Attack(url, roles, admin)
        for name, attack in ATTACKS.items():
            before = len(figures.failed_checks) + len(figures.unexpected_errors)
            try:
                attack(ctx, figures)
            except Exception:
                figures.unexpected_errors.append(f"{name} crashed:\n{traceback.format_exc()}")
            after = len(figures.failed_checks) + len(figures.unexpected_errors)
            figures.note(f"{name}: {'held' if after == before else f'{after - before} problem(s)'}")
        figures.double_completions.extend(audit.double_completions(admin))
        figures.check_none(invariants.violations(admin))
    return figures
