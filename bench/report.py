"""docs/benchmarks.md: the machine, the date, the command, the targets, a table per scenario.

`machine()` describes where the run happened (cores, RAM, CPU model, Python,
and the load average, since other work on a shared machine inflates wall
times); `render` lays out one run's targets and tables as Markdown.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no stubs installed

from bench.table import Table, Target, markdown_table

__all__ = ["Machine", "RunInfo", "machine", "render"]


@dataclass(frozen=True, slots=True)
class Machine:
    """Where the benchmark ran."""

    cores: int
    ram_gb: float
    cpu_model: str
    python: str
    system: str

    def rows(self) -> list[list[str]]:
        """Key/value rows for the report."""
        return [
            ["CPU", self.cpu_model],
            ["cores", str(self.cores)],
            ["RAM", f"{self.ram_gb:.1f} GB"],
            ["Python", self.python],
            ["OS", self.system],
        ]


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> Machine:
    """This machine."""
    return Machine(
        cores=os.cpu_count() or 1,
        ram_gb=psutil.virtual_memory().total / 1024**3,
        cpu_model=_cpu_model(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        system=f"{platform.system()} {platform.release()}",
    )


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The circumstances of one run."""

    started: datetime
    duration_s: float
    command: str
    sizes: str
    latency_ms: float
    concurrency: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def _load(values: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def _targets(found: Sequence[Target]) -> str:
    rows = [[t.name, t.figure, f"**{t.verdict}**", t.why] for t in found]
    return markdown_table(["target", "figure", "verdict", "why (when missed)"], rows)


def _cpu_note(found: Sequence[Target]) -> str:
    """How the CPU rows are judged (only when the run has them)."""
    if not any(t.name.startswith("CPU per item") for t in found):
        return ""
    return (
        "\n\nCPU rows: StoreBridge's CPU for the step divided by the items WooCommerce works on "
        "in it (created, updated or read back), next to WooCommerce's own wall time per such "
        "item on a real store (the best bare batch loop of the Real WooCommerce section; the "
        "idle cycle is held against reading the catalogue back). On a real store the wall time "
        "is WooCommerce's, so StoreBridge's CPU matters only next to it."
    )


def render(
    info: RunInfo, host: Machine, found_targets: Sequence[Target], found_tables: Sequence[Table]
) -> str:
    """The whole document."""
    met = sum(1 for t in found_targets if t.met)
    parts = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (`make bench`); every figure below comes from the run "
        "described here. Re-run it to refresh this page.",
        "",
        "## The run",
        "",
        markdown_table(
            ["", ""],
            [
                ["date", info.started.strftime("%Y-%m-%d %H:%M UTC")],
                ["command", f"`{info.command}`"],
                ["sizes", info.sizes],
                ["duration", f"{info.duration_s / 60:.1f} min"],
                [
                    "load average before / after",
                    f"{_load(info.load_before)} -> {_load(info.load_after)}",
                ],
                *host.rows(),
            ],
        ),
        "",
        "## Set-up",
        "",
        f"- The store is the WooCommerce sandbox (`python -m storebridge sandbox --latency "
        f"{info.latency_ms:g}`) in its own process: every API request waits {info.latency_ms:g} ms "
        "before it is served, standing for a real store across the internet.",
        "- Each StoreBridge step runs in a fresh worker process (`python -m bench.worker`), "
        "through the engines' public functions, so its CPU time (`getrusage`: user + system, all "
        "threads) and peak RSS are StoreBridge's own; wall and CPU cover the step, not the "
        "interpreter start.",
        f"- StoreBridge uses its default WooCommerce client settings (`max_concurrency` "
        f"{info.concurrency}, batch writes finding their own level up to it), SQLite storage, "
        "and the demo POS (selection mode `all`).",
        "- Requests are counted twice: by StoreBridge's client (`RequestStats`) and by the "
        "sandbox's own counters; the `sandbox counted the same` column compares them.",
        "- Both processes share the machine's cores, so the sandbox's CPU (shown per step) and "
        "any other load (see the load average) lengthen wall times.",
        "",
        f"## Targets ({met} of {len(found_targets)} met)",
        "",
        _targets(found_targets) + _cpu_note(found_targets),
        "",
        "## Scenarios",
        "",
        "\n\n".join(table.markdown() for table in found_tables),
        "",
    ]
    return "\n".join(parts)
