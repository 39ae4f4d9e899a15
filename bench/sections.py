"""Sections of docs/benchmarks.md that one command writes and every other command keeps.

A section sits between two HTML comments, ``<!-- NAME:start -->`` and
``<!-- NAME:end -->``, so a command can replace its own section (`splice`)
and carry another command's over from the previous page (`keep`) without
parsing the Markdown around it.  A section that ends where the next ``## ``
heading begins (the Tryton one) must not be followed by a marker line, so a
new section goes in front of the sections after it (`splice(before=...)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Section"]


@dataclass(frozen=True, slots=True)
class Section:
    """One marked section, named e.g. ``"sql-read"``."""

    name: str

    @property
    def start(self) -> str:
        """The opening marker."""
        return f"<!-- {self.name}:start -->"

    @property
    def end(self) -> str:
        """The closing marker."""
        return f"<!-- {self.name}:end -->"

    def wrap(self, body: str) -> str:
        """`body` between the markers."""
        return f"{self.start}\n{body.strip()}\n{self.end}"

    def find(self, page: str) -> str | None:
        """The section of `page`, markers included, or None."""
        if self.start not in page or self.end not in page:
            return None
        return page[page.index(self.start) : page.index(self.end) + len(self.end)]

    def splice(self, page: str, section: str, *, before: Sequence[str] = ()) -> str:
        """`page` with `section` (markers included) replacing its own.

        A page without one gets it in front of the first of the `before` anchors it
        holds (another section's marker or heading), else at its end.
        """
        if self.find(page) is not None:
            head = page[: page.index(self.start)]
            return head + section + page[page.index(self.end) + len(self.end) :]
        for anchor in before:
            if anchor in page:
                at = page.index(anchor)
                return page[:at] + section + "\n\n" + page[at:]
        return page.rstrip("\n") + "\n\n" + section + "\n"

    def keep(self, page: str, previous: Path, *, before: Sequence[str] = ()) -> str:
        """`page` with the section of the `previous` page carried over (if it had one)."""
        try:
            old = previous.read_text(encoding="utf-8")
        except FileNotFoundError:
            return page
        section = self.find(old)
        return page if section is None else self.splice(page, section, before=before)
