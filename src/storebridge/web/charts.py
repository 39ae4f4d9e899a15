"""Chart geometry for the dashboard's inline SVG (pure: figures in, coordinates out).

The dashboard draws its charts on the server, as SVG inside the page: no
JavaScript, no CDN, nothing to load (the Content-Security-Policy forbids
both anyway).  This module turns figures into shapes; the templates
(``_charts.html``) write them out, each shape carrying its figures as
``data-*`` attributes and a ``<title>`` tooltip, so a person hovering and a
test reading the page see the same numbers.

* `bar_chart`: one bar per time bucket (requests per hour, pushes per day...).
* `stock_chart`: a SKU's stock terms over time as step lines (on-hand,
  allocated, safety, available), one marker per recorded figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "STOCK_TERMS",
    "Bar",
    "BarChart",
    "StockChart",
    "StockPoint",
    "bar_chart",
    "nice_top",
    "stock_chart",
]

WIDTH = 480.0
HEIGHT = 160.0
#: Room at the left for the scale and at the bottom for the labels.
LEFT = 36.0
BOTTOM = 18.0
#: The terms of a stock figure, in the order they are drawn (available last, on top).
STOCK_TERMS = ("on_hand", "allocated", "safety", "available")


def nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1): the scale's top."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


@dataclass(frozen=True, slots=True)
class Bar:
    """One bucket: its start, its label, its value and its rectangle."""

    start: datetime
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class BarChart:
    """Bars over time for one figure (`metric`), scaled to `top`."""

    metric: str
    title: str
    bars: tuple[Bar, ...]
    top: int
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM


def bar_chart(
    metric: str, title: str, buckets: Sequence[tuple[datetime, int]], label_format: str
) -> BarChart:
    """Bars for `buckets` (start, value), labelled with ``start.strftime(label_format)``."""
    top = nice_top(max((value for _, value in buckets), default=0))
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - BOTTOM - 4
    slot = plot_width / max(len(buckets), 1)
    bars = []
    for index, (start, value) in enumerate(buckets):
        height = plot_height * value / top
        bars.append(
            Bar(
                start=start,
                label=start.strftime(label_format),
                value=value,
                x=round(LEFT + index * slot + slot * 0.1, 2),
                y=round(HEIGHT - BOTTOM - height, 2),
                width=round(slot * 0.8, 2),
                height=round(height, 2),
            )
        )
    return BarChart(metric, title, tuple(bars), top)


@dataclass(frozen=True, slots=True)
class StockPoint:
    """One recorded figure of a SKU: its terms, whether it was pushed, and where it is drawn."""

    at: datetime
    on_hand: int
    allocated: int
    safety: int
    available: int
    pushed: bool
    x: float
    y: float  # of `available`

    def term(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class StockChart:
    """A SKU's stock terms over time: a polyline per term, a marker per figure."""

    points: tuple[StockPoint, ...]
    lines: dict[str, str]  # term -> SVG polyline "x,y x,y ..."
    top: int
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM


def stock_chart(
    figures: Sequence[tuple[datetime, int, int, int, int, bool]],
    *,
    start: datetime,
    end: datetime,
) -> StockChart:
    """Chart of `figures` (at, on_hand, allocated, safety, available, pushed) between `start` and `end`.

    Each term is drawn as a step line: a figure holds until the next one is
    computed, and the last one holds until `end`.
    """
    ordered = sorted(figures, key=lambda figure: figure[0])
    top = nice_top(max((max(f[1], f[2], f[3], f[4]) for f in ordered), default=0))
    span = max((end - start).total_seconds(), 1.0)
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - BOTTOM - 4

    def x_of(moment: datetime) -> float:
        share = min(max((moment - start).total_seconds() / span, 0.0), 1.0)
        return round(LEFT + plot_width * share, 2)

    def y_of(value: int) -> float:
        return round(HEIGHT - BOTTOM - plot_height * max(value, 0) / top, 2)

    points = tuple(
        StockPoint(at, on_hand, allocated, safety, available, pushed, x_of(at), y_of(available))
        for at, on_hand, allocated, safety, available, pushed in ordered
    )
    lines: dict[str, str] = {}
    for term in STOCK_TERMS:
        coordinates: list[str] = []
        for index, point in enumerate(points):
            following = points[index + 1] if index + 1 < len(points) else None
            y = y_of(point.term(term))
            x_next = following.x if following is not None else x_of(end)
            coordinates.append(f"{point.x},{y} {x_next},{y}")
            if following is not None:
                coordinates.append(f"{x_next},{y_of(following.term(term))}")
        lines[term] = " ".join(coordinates)
    return StockChart(points, lines, top)
