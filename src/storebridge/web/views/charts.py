"""The figures behind the charts: a store's activity per time bucket, a SKU's stock over time.

Activity comes from the run log and the stock history, per bucket of the
window (24 hours by the hour, 7 days by the day, in UTC):

* ``requests`` and ``errors``: WooCommerce requests the runs made and those
  that failed, counted as the overview counts them (`overview.api_usage`);
* ``writes``: the requests that changed something (any method but GET),
  from each run's requests by endpoint;
* ``pushes``: stock figures pushed to WooCommerce (`StockHistory.pushed`).

A run counts in the bucket where it started.  A SKU's stock chart shows the
figures recorded for it (`StockHistory`: on-hand, allocated, safety,
available) over the last 7 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from storebridge.persistence.tables import Run, StockHistory
from storebridge.runner.api_usage import API_ERRORS, API_REQUESTS
from storebridge.web.charts import BarChart, StockChart, bar_chart, stock_chart
from storebridge.web.views.overview import usage_of

__all__ = [
    "ACTIVITY_METRICS",
    "STOCK_WINDOW",
    "WINDOWS",
    "Window",
    "activity_charts",
    "buckets",
    "sku_stock_chart",
]

#: What the activity charts show, with their titles.
ACTIVITY_METRICS = {
    "requests": "WooCommerce requests",
    "writes": "write requests",
    "errors": "failed requests",
    "pushes": "stock figures pushed",
}
#: How far back a SKU's stock chart goes.
STOCK_WINDOW = timedelta(days=7)
#: Most figures drawn on a SKU's stock chart (the newest).
STOCK_POINTS = 500


@dataclass(frozen=True, slots=True)
class Window:
    """A chart's time span cut into equal buckets."""

    name: str
    bucket: timedelta
    count: int
    label_format: str

    @property
    def span(self) -> timedelta:
        return self.bucket * self.count


WINDOWS = {
    "24h": Window("24h", timedelta(hours=1), 24, "%H:00"),
    "7d": Window("7d", timedelta(days=1), 7, "%a %d"),
}


def buckets(window: Window, now: datetime) -> list[datetime]:
    """The starts of the window's buckets, oldest first; the last one holds `now`."""
    if window.bucket >= timedelta(days=1):
        current = now.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        current = now.replace(minute=0, second=0, microsecond=0)
    return [current - window.bucket * back for back in range(window.count - 1, -1, -1)]


#: A write request in a run's requests by endpoint, as its JSON text spells it ("POST /...").
_WRITE_KEYS = tuple(f'%"{method} %' for method in ("POST", "PUT", "PATCH", "DELETE"))


def _bucket(
    column: InstrumentedAttribute[datetime], starts: Sequence[datetime], width: timedelta
) -> Any:
    """SQL: the index of the bucket `column` falls in (rows are already limited to the window)."""
    return case(
        *((column < start + width, index) for index, start in enumerate(starts)),
        else_=len(starts),
    )


def _writes(requests: dict[str, int] | None) -> int:
    """Requests whose method is not GET ("POST /products/batch": 3 -> 3)."""
    return sum(int(n) for key, n in (requests or {}).items() if not key.startswith("GET "))


def _run_figures(
    session: Session, store: str, starts: Sequence[datetime], width: timedelta
) -> dict[str, list[int]]:
    """Requests, errors and writes per bucket from the run log.

    The database sums the runner's own figures (``api_requests``,
    ``api_errors`` in the counts); only the runs it cannot sum are read and
    decoded: those with write requests (counted by method) and those recorded
    without the runner's figures (a CLI run: every request counts, no error).
    A week of a busy store is 20,000 runs, most of them idle reads.
    """
    values = {metric: [0] * len(starts) for metric in ("requests", "errors", "writes")}
    bucket = _bucket(Run.started_at, starts, width)
    counted = Run.counts[API_REQUESTS].as_integer()
    window = (Run.store == store, Run.started_at >= starts[0])
    sums = session.execute(
        select(bucket, func.sum(counted), func.sum(Run.counts[API_ERRORS].as_integer()))
        .where(*window, counted.is_not(None))
        .group_by(bucket)
    )
    for index, requests, errors in sums:
        if index < len(starts):
            values["requests"][index] += int(requests or 0)
            values["errors"][index] += int(errors or 0)
    text = cast(Run.requests, Text)
    to_read = session.execute(
        select(bucket, counted.is_(None), Run.requests).where(
            *window, or_(counted.is_(None), *(text.like(key) for key in _WRITE_KEYS))
        )
    )
    for index, uncounted, requests in to_read:
        if index < len(starts):
            values["writes"][index] += _writes(requests)
            if uncounted:
                values["requests"][index] += usage_of(None, requests).requests
    return values


def activity_charts(
    session: Session, *, store: str, window: Window, now: datetime
) -> dict[str, BarChart]:
    """One bar chart per `ACTIVITY_METRICS` for `store` over `window` ending at `now`."""
    starts = buckets(window, now)
    values = _run_figures(session, store, starts, window.bucket)
    # The store's pushed figures, counted per bucket by the database.
    bucket = _bucket(StockHistory.at, starts, window.bucket)
    values["pushes"] = [0] * len(starts)
    for index, count in session.execute(
        select(bucket, func.count())
        .where(
            StockHistory.store == store,
            StockHistory.pushed.is_(True),
            StockHistory.at >= starts[0],
        )
        .group_by(bucket)
    ):
        if index < len(starts):
            values["pushes"][index] = int(count)
    return {
        metric: bar_chart(
            metric,
            f"{title}, last {window.name}",
            list(zip(starts, values[metric], strict=True)),
            window.label_format,
        )
        for metric, title in ACTIVITY_METRICS.items()
    }


def sku_stock_chart(session: Session, *, store: str, key: str, now: datetime) -> StockChart:
    """The stock figures recorded for the SKU `key` of `store` over the last `STOCK_WINDOW`."""
    since = now - STOCK_WINDOW
    rows = session.execute(
        select(
            StockHistory.at,
            StockHistory.on_hand,
            StockHistory.allocated,
            StockHistory.safety,
            StockHistory.available,
            StockHistory.pushed,
        )
        .where(StockHistory.store == store, StockHistory.sku_key == key, StockHistory.at >= since)
        .order_by(StockHistory.at.desc(), StockHistory.id.desc())
        .limit(STOCK_POINTS)
    ).all()
    figures = [
        (at, on_hand, held, safety, available, bool(pushed))
        for at, on_hand, held, safety, available, pushed in rows
    ]
    start = min((figure[0] for figure in figures), default=since)
    return stock_chart(figures, start=start, end=now)
