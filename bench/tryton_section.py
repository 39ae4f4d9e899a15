"""The Tryton section of docs/benchmarks.md, which `python -m bench.tryton` writes on its own.

`make bench` rewrites the rest of the page; `keep_section` carries the last
Tryton figures over, and `splice` puts a new run's section in place.
"""

from __future__ import annotations

__all__ = ["SECTION_HEADING", "keep_section", "splice"]

SECTION_HEADING = "## Tryton: reading a whole catalogue"


def _section_end(document: str, start: int) -> int:
    """Where the Tryton section starting at `start` ends: the next heading or section marker."""
    ends = [
        at
        for at in (
            document.find("\n## ", start + len(SECTION_HEADING)),
            document.find("\n<!-- ", start + len(SECTION_HEADING)),
        )
        if at >= 0
    ]
    return min(ends, default=-1)


def splice(document: str, new_section: str) -> str:
    """`document` with its Tryton section replaced by `new_section` (or appended)."""
    start = document.find(SECTION_HEADING)
    if start < 0:
        return document.rstrip("\n") + "\n\n" + new_section
    end = _section_end(document, start)
    tail = "" if end < 0 else document[end + 1 :]
    return document[:start] + new_section + ("\n" + tail if tail else "")


def keep_section(old_document: str, new_document: str) -> str:
    """`new_document` with the Tryton section of `old_document` carried over, if it had one."""
    start = old_document.find(SECTION_HEADING)
    if start < 0:
        return new_document
    end = _section_end(old_document, start)
    kept = old_document[start:] if end < 0 else old_document[start : end + 1]
    return splice(new_document, kept.rstrip("\n") + "\n")
