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

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from storebridge.persistence.tables import Run, StockHistory
from storebridge.web.charts import BarChart, StockChart, bar_chart, stock_chart
from storebridge.web.views.overview import api_usage

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


def _index(starts: Sequence[datetime], bucket: timedelta, moment: datetime) -> int | None:
    index = int((moment - starts[0]) // bucket)
    return index if 0 <= index < len(starts) else None


def _writes(requests: dict[str, int] | None) -> int:
    """Requests whose method is not GET ("POST /products/batch": 3 -> 3)."""
    return sum(int(n) for key, n in (requests or {}).items() if not key.startswith("GET "))


def activity_charts(
    session: Session, *, store: str, window: Window, now: datetime
) -> dict[str, BarChart]:
    """One bar chart per `ACTIVITY_METRICS` for `store` over `window` ending at `now`."""
    starts = buckets(window, now)
    values = {metric: [0] * len(starts) for metric in ACTIVITY_METRICS}
    runs = session.scalars(
        select(Run).where(Run.store == store, Run.started_at >= starts[0]).order_by(Run.id)
    )
    for run in runs:
        index = _index(starts, window.bucket, run.started_at)
        if index is None:
            continue
        usage = api_usage([run])
        values["requests"][index] += usage.requests
        values["errors"][index] += usage.errors
        values["writes"][index] += _writes(run.requests)
    # One scan of the store's pushed figures, counted per bucket by the database.
    ends = [*starts[1:], starts[-1] + window.bucket]
    pushed = session.execute(
        select(
            *(
                func.coalesce(
                    func.sum(
                        case((StockHistory.at >= start, 1), else_=0)
                        * case((StockHistory.at < end, 1), else_=0)
                    ),
                    0,
                ).cast(Integer)
                for start, end in zip(starts, ends, strict=True)
            )
        ).where(
            StockHistory.store == store,
            StockHistory.pushed.is_(True),
            StockHistory.at >= starts[0],
        )
    ).one()
    values["pushes"] = [int(count) for count in pushed]
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
