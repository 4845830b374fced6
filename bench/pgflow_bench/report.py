"""Figures, their summary over repeated runs, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

__all__ = ["Figure", "Results", "environment"]

FLOOR_KEY = "floor.c1.tps"
"""Every throughput figure is also shown as a ratio to this one (pgbench, 1 client)."""


@dataclass
class Figure:
    """One measured quantity, with every repeated sample of it."""

    key: str
    unit: str
    description: str
    samples: list[float] = field(default_factory=list)
    throughput: bool = False
    """A rate (per second): printed as a ratio to the floor too."""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> dict[str, float]:
        lo, hi = min(self.samples), max(self.samples)
        stdev = statistics.stdev(self.samples) if len(self.samples) > 1 else 0.0
        rel = (hi - lo) / self.median if self.median else 0.0
        return {"min": lo, "max": hi, "stdev": stdev, "range_over_median": rel}


@dataclass
class Target:
    description: str
    met: bool | None
    detail: str


class Results:
    """Figures in the order they were first recorded."""

    def __init__(self) -> None:
        self.figures: dict[str, Figure] = {}
        self.notes: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def add(
        self, key: str, value: float, unit: str, description: str, *, throughput: bool = False
    ) -> None:
        figure = self.figures.get(key)
        if figure is None:
            figure = self.figures[key] = Figure(key, unit, description, throughput=throughput)
        figure.samples.append(float(value))

    def note(self, scenario: str, text: str) -> None:
        previous = self.notes.get(scenario)
        if previous is None:
            self.notes[scenario] = text
        elif text not in previous.split("; "):
            self.notes[scenario] = f"{previous}; {text}"

    def median(self, key: str) -> float | None:
        figure = self.figures.get(key)
        return figure.median if figure is not None and figure.samples else None

    def ratio_to_floor(self, figure: Figure) -> float | None:
        floor = self.median(FLOOR_KEY)
        if not figure.throughput or not floor or figure.key.startswith("floor."):
            return None
        return figure.median / floor

    # -- targets ------------------------------------------------------------

    def targets(self) -> list[Target]:
        m = self.median
        out: list[Target] = []

        def ratio(desc: str, num: str, den: str, goal: float) -> None:
            a, b = m(num), m(den)
            if a is None or b is None or b == 0:
                out.append(Target(desc, None, "not measured"))
            else:
                out.append(Target(desc, a / b >= goal, f"{a / b:.2f}x (goal >= {goal}x)"))

        def at_most(desc: str, key: str, goal: float, unit: str) -> None:
            a = m(key)
            if a is None:
                out.append(Target(desc, None, "not measured"))
            else:
                out.append(Target(desc, a <= goal, f"{a:.3g} {unit} (goal <= {goal} {unit})"))

        def at_least(desc: str, key: str, goal: float) -> None:
            a = m(key)
            if a is None:
                out.append(Target(desc, None, "not measured"))
            else:
                out.append(Target(desc, a >= goal, f"{a:.2f}x (goal >= {goal}x)"))

        ratio(
            "SQL path, complete_task, 1 conn vs floor", "sql.single.c1.tasks_per_s", FLOOR_KEY, 0.5
        )
        ratio(
            "SQL path, complete_tasks batch, 1 conn vs floor",
            "sql.batch.c1.tasks_per_s",
            FLOOR_KEY,
            1.0,
        )
        ratio(
            "worker (1 proc) vs pgqueuer",
            "worker.p1.tasks_per_s",
            "peers.pgqueuer.tasks_per_s",
            1.0,
        )
        ratio(
            "worker (1 proc) vs procrastinate",
            "worker.p1.tasks_per_s",
            "peers.procrastinate.tasks_per_s",
            4.0,
        )
        ratio(
            "map drain, 4 conns vs 1",
            "fanout.c4.drain_tasks_per_s",
            "fanout.c1.drain_tasks_per_s",
            1.5,
        )
        at_most("wake-up to run completed, p50", "wakeup.completed_p50_ms", 10, "ms")
        at_most("wake-up to run completed, p99", "wakeup.completed_p99_ms", 50, "ms")
        at_most(
            "ui: run page, 1,000-element map (median)", "ui.run_page_1000_map_median_ms", 1000, "ms"
        )
        at_most("ui: flow page, 200 steps (median)", "ui.flow_page_200_steps_median_ms", 1000, "ms")
        at_most("ui: completion to open page, p95", "ui.completion_to_page_p95_ms", 500, "ms")
        ratio(
            "table growth: SQL path with old tasks vs empty",
            "growth.single.c1.tasks_per_s",
            "growth.empty.single.c1.tasks_per_s",
            0.9,
        )
        ratio(
            "table growth: batch API with old tasks vs empty",
            "growth.batch.c1.tasks_per_s",
            "growth.empty.batch.c1.tasks_per_s",
            0.9,
        )
        at_least("flow control: per-key limit vs no limit", "flow_control.ratio", 0.7)
        at_least(
            "payloads: sealed 1 kB field vs clear, per pair", "payloads.sealed_over_plain", 0.9
        )
        at_most(
            "payloads: codec CPU per task / plain task time",
            "payloads.codec_cost_fraction",
            0.10,
            "",
        )
        at_most("definition deploy, largest size", "defs.deploy_s.max", 5, "s")
        at_most("definition growth exponent", "defs.exponent.max", 1.3, "")
        return out

    # -- output -------------------------------------------------------------

    def table(self) -> str:
        rows = [("figure", "median", "unit", "spread", "x floor")]
        for figure in self.figures.values():
            if not figure.samples:
                continue
            r = self.ratio_to_floor(figure)
            s = figure.spread
            spread = f"{s['min']:.4g}..{s['max']:.4g}" if len(figure.samples) > 1 else "-"
            rows.append(
                (
                    figure.key,
                    f"{figure.median:.4g}",
                    figure.unit,
                    spread,
                    f"{r:.2f}" if r is not None else "",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines = []
        for n, row in enumerate(rows):
            lines.append(
                "  ".join(
                    cell.ljust(widths[i]) if i in (0, 2, 3) else cell.rjust(widths[i])
                    for i, cell in enumerate(row)
                ).rstrip()
            )
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        for scenario, text in self.notes.items():
            lines.append(f"note [{scenario}]: {text}")
        for scenario, text in self.errors.items():
            lines.append(f"ERROR [{scenario}]: {text}")
        lines.append("")
        lines.append("targets:")
        for t in self.targets():
            mark = {True: "met   ", False: "MISSED", None: "n/a   "}[t.met]
            lines.append(f"  {mark} {t.description}: {t.detail}")
        return "\n".join(lines)

    def to_json(self, meta: dict[str, Any]) -> dict[str, Any]:
        return {
            **meta,
            "figures": {
                f.key: {
                    "description": f.description,
                    "unit": f.unit,
                    "median": f.median,
                    "spread": f.spread,
                    "samples": f.samples,
                    "ratio_to_floor": self.ratio_to_floor(f),
                }
                for f in self.figures.values()
                if f.samples
            },
            "notes": self.notes,
            "errors": self.errors,
            "targets": [
                {"target": t.description, "met": t.met, "detail": t.detail} for t in self.targets()
            ],
        }

    def write_json(self, path: Path, meta: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(meta), indent=2, default=str) + "\n")


def _run(cmd: list[str]) -> str | None:
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _meminfo_total() -> str | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


SETTINGS = (
    "server_version",
    "synchronous_commit",
    "fsync",
    "wal_sync_method",
    "shared_buffers",
    "work_mem",
    "max_connections",
    "max_wal_size",
    "checkpoint_timeout",
    "jit",
)


def environment(url: str, args: dict[str, Any]) -> dict[str, Any]:
    """Machine info, server settings, versions and the git commit, for the JSON file."""
    root = Path(__file__).resolve().parents[2]  # bench/pgflow_bench/report.py -> the checkout
    with psycopg.connect(url, autocommit=True) as conn:
        settings = {
            name: conn.execute("select current_setting(%s)", (name,)).fetchone()[0]  # type: ignore[index]
            for name in SETTINGS
        }
        version = conn.execute("select version()").fetchone()[0]  # type: ignore[index]
        ext = conn.execute(
            "select default_version from pg_available_extensions where name = 'pgflow'"
        ).fetchone()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    import importlib.metadata as md

    def pkg(name: str) -> str | None:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return None

    return {
        "started_at": datetime.now(UTC).isoformat(),
        "arguments": args,
        "machine": {
            "hostname": platform.node(),
            "platform": platform.platform(),
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
            "memory": _meminfo_total(),
            "load_average_at_start": load,
        },
        "postgresql": {"version": version, "settings": settings},
        "versions": {
            "python": platform.python_version(),
            "pgflow_extension": ext[0] if ext else None,
            "pgflow_py": pkg("pgflow-py"),
            "psycopg": pkg("psycopg"),
            "procrastinate": pkg("procrastinate"),
            "pgqueuer": pkg("pgqueuer"),
            "pgbench": _run(["/usr/lib/postgresql/15/bin/pgbench", "--version"]),
        },
        "git": {
            "commit": _run(["git", "-C", str(root), "rev-parse", "HEAD"]),
            "dirty": bool(
                _run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])
            ),
        },
    }
