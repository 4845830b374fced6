"""``python -m tests.chaos [--quick] [--parts kill,crash,races,fuzz,attacks] [--seed N]``.

Needs ``DATABASE_URL``: a superuser connection to a throwaway server with the
pgflow extension installable (``make chaos`` runs this inside
``scripts/with-postgres.sh``). The ``crash`` part starts a server of its own
(``PGBIN``), which it can kill.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import sys
import traceback
from collections.abc import Callable

from tests.chaos.harness.db import Roles, connect, create_roles, drop_roles
from tests.chaos.harness.figures import Figures, print_summary
from tests.chaos.harness.scale import FULL, QUICK, Scale

# part name -> module with run(server_url, roles, scale, seed) -> Figures, in running order
PARTS = {
    "kill": "tests.chaos.kill_workers",
    "crash": "tests.chaos.crash_server",
    "races": "tests.chaos.races.part",
    "fuzz": "tests.chaos.fuzz.part",
    "attacks": "tests.chaos.attacks.part",
}

Part = Callable[[str, Roles, Scale, int], Figures]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.chaos",
        description="pgflow's fault-injection suite: kills, crashes, races, fuzz, attacks.",
    )
    parser.add_argument("--quick", action="store_true", help="small scale (CI: about 2 minutes)")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated subset of: {','.join(PARTS)} (default: all)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    args = parser.parse_args(argv)
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    return args


def run_part(name: str, server_url: str, roles: Roles, scale: Scale, seed: int) -> Figures:
    """One part; a crash of the part itself is an unexpected error, not an exit."""
    print(f"\n::: chaos part {name} (seed {seed})", flush=True)
    try:
        part: Part = importlib.import_module(PARTS[name]).run
        figures = part(server_url, roles, scale, seed)
    except Exception:
        figures = Figures(name)
        figures.unexpected_errors.append(f"the part itself crashed:\n{traceback.format_exc()}")
    figures.finish()
    figures.print()
    sys.stdout.flush()
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("DATABASE_URL is not set: run `make chaos` (or under scripts/with-postgres.sh)")
        return 2
    scale = QUICK if args.quick else FULL
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    print(f"chaos: {'quick' if args.quick else 'full'} scale, seed {seed} (--seed {seed} repeats)")
    with connect(server_url) as admin:
        roles = create_roles(admin)
    results: list[Figures] = []
    try:
        for offset, name in enumerate(args.parts.split(",")):
            results.append(run_part(name, server_url, roles, scale, seed + offset))
    finally:
        with connect(server_url) as admin:
            drop_roles(admin, roles)
    print_summary(results)
    failed = [f.part for f in results if f.problems]
    if failed:
        print(f"chaos: FAILED in part(s) {', '.join(failed)} (seed {seed})")
        return 1
    print("chaos: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
