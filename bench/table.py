"""Result tables and target verdicts, and their Markdown.

Every scenario hands back `Table`s (a title, column names, rows of cells,
notes under the table) and `Target`s (a target from the brief, the figure
measured, met or missed, and why when missed).  `report` lays them out in
docs/benchmarks.md; the CLI prints the same Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Table", "Target", "fmt_int", "fmt_s", "markdown_table", "ratio"]


@dataclass
class Table:
    """One scenario's table."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        """Append a row (cells are rendered with str())."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([str(cell) for cell in cells])

    def markdown(self) -> str:
        """The table as a Markdown section."""
        parts = [f"### {self.title}", "", markdown_table(self.columns, self.rows)]
        if self.notes:
            parts += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Target:
    """A target of the brief and how this run fared against it."""

    name: str
    figure: str
    met: bool
    why: str = ""
    #: False when the run lacked the figure to judge by (the verdict then says so).
    judged: bool = True

    @property
    def verdict(self) -> str:
        """``met``, ``missed`` or ``not judged``."""
        if not self.judged:
            return "not judged"
        return "met" if self.met else "missed"


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; cells' pipes are escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    aligned = ["---" for _ in columns]
    return "\n".join([line(columns), line(aligned), *(line(row) for row in rows)])


def fmt_s(seconds: float) -> str:
    """Seconds for a table: 0.42, 3.1, 1,234."""
    if seconds < 1:
        return f"{seconds:.2f}"
    if seconds < 100:
        return f"{seconds:.1f}"
    return f"{seconds:,.0f}"


def fmt_int(value: float) -> str:
    """A count with thousands separators."""
    return f"{round(value):,}"


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0 when the denominator is 0."""
    return numerator / denominator if denominator else 0.0
