"""How much chaos: ``--quick`` (CI, about two minutes on 2 cores) or the full run."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Scale"]


@dataclass(frozen=True, slots=True)
class Scale:
    # part kill: worker processes, SIGKILLs, seconds between kills, runs started per second
    kill_workers: int
    kills: int
    kill_interval: float
    kill_runs_per_second: float
    # part crash: worker processes, crash-restarts, seconds between crashes, runs per second
    crash_workers: int
    crashes: int
    crash_interval: float
    crash_runs_per_second: float
    # part races: repetitions of each race scenario
    race_repeats: int
    # part fuzz: hypothesis examples per SQL entry point
    fuzz_examples: int
    # seconds allowed for every run to finish once the faults stop
    drain_timeout: float


QUICK = Scale(
    kill_workers=3,
    kills=10,
    kill_interval=0.8,
    kill_runs_per_second=15,
    crash_workers=2,
    crashes=3,
    crash_interval=3.0,
    crash_runs_per_second=10,
    race_repeats=10,
    fuzz_examples=60,
    drain_timeout=90,
)

FULL = Scale(
    kill_workers=5,
    kills=30,
    kill_interval=0.7,
    kill_runs_per_second=20,
    crash_workers=3,
    crashes=6,
    crash_interval=3.0,
    crash_runs_per_second=15,
    race_repeats=40,
    fuzz_examples=300,
    drain_timeout=180,
)
