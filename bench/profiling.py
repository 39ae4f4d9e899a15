"""Where StoreBridge's CPU goes: a profiled first sync, summarised by package.

The CPU target (under 10% of wall time) needs a reason when it is missed, so
the run profiles one small first sync with cProfile on a CPU-time clock and
groups the time spent *in* each function (its own time, not its callees') by
where the code lives: a StoreBridge sub-package, a library (sqlalchemy,
pydantic, httpx...), the standard library, or SQLite's C code.

cProfile sees the event-loop thread only; CPU that worker threads spend
while the loop waits (the POS read and validation run in
`asyncio.to_thread`) is charged to the loop's ``poll`` and reported as
"worker threads (POS read, validation)".  Small built-ins (``dict.get``,
``isinstance``...) are charged to the code that called them.
"""

from __future__ import annotations

import cProfile
import pstats
import sysconfig
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.runs import Lab

__all__ = ["group_of", "hotspots", "profile_first_sync"]

_STDLIB = sysconfig.get_paths()["stdlib"]
_BUILTIN = "builtins (C)"


def group_of(filename: str, function: str) -> str:
    """The package a profiled function belongs to."""
    if filename == "~":  # a C function; cProfile names it like "<method 'execute' of ...>"
        if "poll" in function:
            return "worker threads (POS read, validation)"
        if "sqlite3" in function:
            return "sqlite3 (C)"
        if "pydantic" in function:
            return "pydantic"
        return _BUILTIN
    if filename.startswith("<frozen"):
        return "imports"
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/storebridge/" in filename:
        parts = filename.split("/storebridge/", 1)[1].split("/")
        return "storebridge." + parts[0].removesuffix(".py")
    if filename.startswith(_STDLIB):
        module = filename[len(_STDLIB) :].strip("/").split("/", 1)[0].removesuffix(".py")
        return f"stdlib {module}"
    return "other"


def hotspots(profiler: cProfile.Profile, top: int = 10) -> list[tuple[str, float]]:
    """Share of the profiled CPU per package, largest first."""
    stats = pstats.Stats(profiler)
    spent: Counter[str] = Counter()
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        group = group_of(filename, function)
        callers = row[4]
        if group != _BUILTIN or not callers:
            spent[group] += row[2]  # tottime: time in the function itself
            continue
        # dict.get, isinstance, str.strip...: charge them to the code that called them.
        for (caller_file, _caller_line, caller_function), edge in callers.items():
            spent[group_of(caller_file, caller_function)] += edge[2]
    total = sum(spent.values()) or 1.0
    return [(where, seconds / total) for where, seconds in spent.most_common(top)]


def profile_first_sync(lab: Lab, items: int) -> list[tuple[str, float]]:
    """Profile a first sync of `items` items in a fresh store (results not reported)."""
    workspace = lab.workspace(f"profile-{items}", items)
    measured = lab.run(
        workspace, "sync", f"profiled first sync of {items:,} items", items, profile=True
    )
    return measured.result.hotspots
