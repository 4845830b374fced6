"""The figures each part reports, and the summary printed at the end."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

__all__ = ["Figures", "print_summary"]

MAX_LISTED = int(os.environ.get("CHAOS_MAX_LISTED", "12"))
"""Problems printed per part and kind; the counts include the rest."""


@dataclass
class Figures:
    """What one part did and what went wrong.

    ``faults``: faults injected (kills, crashes, racing calls, hostile calls,
    attacks). ``tasks_checked``: tasks (or calls) whose outcome was verified.
    The four problem kinds each make the suite fail.
    """

    part: str
    faults: int = 0
    tasks_checked: int = 0
    checks_passed: int = 0
    losses: list[str] = field(default_factory=list)
    double_completions: list[str] = field(default_factory=list)
    unexpected_errors: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def check(self, ok: bool, failure: str) -> bool:
        """Count a check; record ``failure`` when it did not hold. Returns ``ok``."""
        if ok:
            self.checks_passed += 1
        else:
            self.failed_checks.append(failure)
        return ok

    def check_none(self, problems: list[str]) -> None:
        """One check that passes when ``problems`` is empty; else each is a failed check."""
        if problems:
            self.failed_checks.extend(problems)
        else:
            self.checks_passed += 1

    def note(self, text: str) -> None:
        """An informational line printed with the part's figures."""
        self.notes.append(text)

    @property
    def problems(self) -> int:
        return (
            len(self.losses)
            + len(self.double_completions)
            + len(self.unexpected_errors)
            + len(self.failed_checks)
        )

    def finish(self) -> None:
        self.seconds = time.monotonic() - self.started

    def print(self) -> None:
        status = "ok" if self.problems == 0 else "FAILED"
        print(f"\n=== chaos part {self.part}: {status} ({self.seconds:.1f} s) ===")
        print(
            f"faults injected {self.faults}, tasks checked {self.tasks_checked}, "
            f"checks passed {self.checks_passed}, losses {len(self.losses)}, "
            f"double completions {len(self.double_completions)}, "
            f"unexpected errors {len(self.unexpected_errors)}, "
            f"failed checks {len(self.failed_checks)}"
        )
        for line in self.notes:
            print(f"  note: {line}")
        for title, items in (
            ("loss", self.losses),
            ("double completion", self.double_completions),
            ("unexpected error", self.unexpected_errors),
            ("failed check", self.failed_checks),
        ):
            for item in items[:MAX_LISTED]:
                print(f"  {title}: {item}")
            if len(items) > MAX_LISTED:
                print(f"  ... and {len(items) - MAX_LISTED} more of kind {title!r}")


def print_summary(all_figures: list[Figures]) -> None:
    """One table for every part, then the totals."""
    header = ("part", "faults", "tasks", "checks", "losses", "doubles", "unexpected", "failed", "s")
    rows = [
        (
            f.part,
            str(f.faults),
            str(f.tasks_checked),
            str(f.checks_passed),
            str(len(f.losses)),
            str(len(f.double_completions)),
            str(len(f.unexpected_errors)),
            str(len(f.failed_checks)),
            f"{f.seconds:.0f}",
        )
        for f in all_figures
    ]
    totals = (
        "TOTAL",
        str(sum(f.faults for f in all_figures)),
        str(sum(f.tasks_checked for f in all_figures)),
        str(sum(f.checks_passed for f in all_figures)),
        str(sum(len(f.losses) for f in all_figures)),
        str(sum(len(f.double_completions) for f in all_figures)),
        str(sum(len(f.unexpected_errors) for f in all_figures)),
        str(sum(len(f.failed_checks) for f in all_figures)),
        f"{sum(f.seconds for f in all_figures):.0f}",
    )
    table = [header, *rows, totals]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print("\n=== chaos summary ===")
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
