"""Sections of docs/benchmarks.md that their own commands write, between two HTML comments.

`make bench` rewrites the page; each separately measured section (the SQL
read, the scale runs) is carried over with `keep`, and its own command puts
a new run in place with `splice`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["keep", "splice"]


def splice(page: str, section: str, start: str, end: str) -> str:
    """`page` with the section between `start` and `end` replaced by `section`, or appended."""
    if start in page and end in page:
        return page[: page.index(start)] + section + page[page.index(end) + len(end) :]
    return page.rstrip("\n") + "\n\n" + section + "\n"


def keep(report: str, previous: Path, start: str, end: str) -> str:
    """`report` with the section of the `previous` page carried over (if it had one)."""
    try:
        old = previous.read_text(encoding="utf-8")
    except FileNotFoundError:
        return report
    if start not in old or end not in old:
        return report
    return splice(report, old[old.index(start) : old.index(end) + len(end)], start, end)
