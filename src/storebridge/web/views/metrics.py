"""`/metrics`: StoreBridge's state for Prometheus, through prometheus_client.

A custom collector (`DatabaseCollector`) reads the database at scrape time,
so every runner process and every worker exposes the same figures: gauges per
store of product links by state, open quarantined rows, export records by
state, runs by job and outcome (a counter: the run log only grows), the start
of each job's last run, WooCommerce requests and errors over the last 24
hours, and the alert conditions open now by kind (`storebridge.alerts`).  prometheus_client writes the exposition text (escaping included).
Counts only: no SKU, order, customer or secret is ever exposed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storebridge.persistence.tables import Alert, Export, ProductLink, QuarantineRow, Run
from storebridge.web.views.overview import API_WINDOW, api_usage

__all__ = ["CONTENT_TYPE", "DatabaseCollector", "render_metrics"]

#: The text format prometheus_client's `generate_latest` writes.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

_STORE = ["store"]


class DatabaseCollector(Collector):
    """The metrics of `stores` at `now`, read through `session` when collected."""

    def __init__(self, session: Session, *, stores: Sequence[str], now: datetime) -> None:
        self.session = session
        self.stores = list(stores)
        self.now = now

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("storebridge_up", "1 when the database answered the scrape.")
        up.add_metric([], 1)
        links = GaugeMetricFamily(
            "storebridge_links", "Product links by state.", labels=["store", "state"]
        )
        quarantined = GaugeMetricFamily(
            "storebridge_quarantined_rows", "Open quarantined POS rows.", labels=_STORE
        )
        exports = GaugeMetricFamily(
            "storebridge_exports", "Order export records by state.", labels=["store", "state"]
        )
        runs = CounterMetricFamily(
            "storebridge_runs_total",
            "Job runs by job and outcome.",
            labels=["store", "job", "outcome"],
        )
        last = GaugeMetricFamily(
            "storebridge_last_run_start_timestamp_seconds",
            "Start of each job's last run.",
            labels=["store", "job"],
        )
        requests = GaugeMetricFamily(
            "storebridge_api_requests_24h",
            "WooCommerce requests in the last 24 hours.",
            labels=_STORE,
        )
        errors = GaugeMetricFamily(
            "storebridge_api_errors_24h",
            "Failed WooCommerce requests in the last 24 hours.",
            labels=_STORE,
        )
        alerts = GaugeMetricFamily(
            "storebridge_alerts_open",
            "Alert conditions open now, by kind.",
            labels=["store", "kind"],
        )
        for store in self.stores:
            self._store(store, links, quarantined, exports, runs, last, requests, errors)
            for kind, count in self.session.execute(
                select(Alert.kind, func.count())
                .where(Alert.store == store, Alert.resolved_at.is_(None))
                .group_by(Alert.kind)
            ):
                alerts.add_metric([store, kind], count)
        yield from (up, links, quarantined, exports, runs, last, requests, errors, alerts)

    def _store(
        self,
        store: str,
        links: GaugeMetricFamily,
        quarantined: GaugeMetricFamily,
        exports: GaugeMetricFamily,
        runs: CounterMetricFamily,
        last: GaugeMetricFamily,
        requests: GaugeMetricFamily,
        errors: GaugeMetricFamily,
    ) -> None:
        session = self.session
        for state, count in session.execute(
            select(ProductLink.state, func.count())
            .where(ProductLink.store == store)
            .group_by(ProductLink.state)
        ):
            links.add_metric([store, state], count)
        open_rows = session.scalar(
            select(func.count()).where(
                QuarantineRow.store == store, QuarantineRow.resolved_at.is_(None)
            )
        )
        quarantined.add_metric([store], open_rows or 0)
        for state, count in session.execute(
            select(Export.state, func.count()).where(Export.store == store).group_by(Export.state)
        ):
            exports.add_metric([store, state], count)
        for job, outcome, count in session.execute(
            select(Run.job, Run.outcome, func.count())
            .where(Run.store == store)
            .group_by(Run.job, Run.outcome)
        ):
            runs.add_metric([store, job, outcome], count)
        for job, started in session.execute(
            select(Run.job, func.max(Run.started_at)).where(Run.store == store).group_by(Run.job)
        ):
            if started is not None:
                last.add_metric([store, job], round(started.timestamp(), 3))
        usage = api_usage(
            session.scalars(
                select(Run).where(Run.store == store, Run.started_at >= self.now - API_WINDOW)
            )
        )
        requests.add_metric([store], usage.requests)
        errors.add_metric([store], usage.errors)


def render_metrics(session: Session, *, stores: list[str], now: datetime) -> bytes:
    """The exposition text for `stores` at `now` (a registry of its own per scrape)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(session, stores=stores, now=now))
    return generate_latest(registry)
