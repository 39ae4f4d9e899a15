"""`/metrics`: StoreBridge's state in the Prometheus text exposition format.

Gauges per store, read from the database at scrape time: product links by
state, open quarantined rows, export records by state, runs by job and
outcome (a counter: the run log only grows), the start of each job's last run,
and WooCommerce requests and errors over the last 24 hours.  Label values are
escaped as the format requires; no secret is ever exposed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storebridge.persistence.tables import Export, ProductLink, QuarantineRow, Run
from storebridge.web.views.overview import API_WINDOW, api_usage

__all__ = ["CONTENT_TYPE", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


class _Family:
    def __init__(self, name: str, kind: str, help_text: str) -> None:
        self.lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        self.name = name

    def add(self, value: float, **labels: str) -> None:
        number = int(value) if float(value).is_integer() else value
        self.lines.append(f"{self.name}{_labels(**labels)} {number}")


def render_metrics(session: Session, *, stores: list[str], now: datetime) -> str:
    """The metrics text for `stores` at `now`."""
    up = _Family("storebridge_up", "gauge", "1 when the database answered the scrape.")
    up.add(1)
    links = _Family("storebridge_links", "gauge", "Product links by state.")
    quarantined = _Family("storebridge_quarantined_rows", "gauge", "Open quarantined POS rows.")
    exports = _Family("storebridge_exports", "gauge", "Order export records by state.")
    runs = _Family("storebridge_runs_total", "counter", "Job runs by job and outcome.")
    last = _Family(
        "storebridge_last_run_start_timestamp_seconds", "gauge", "Start of each job's last run."
    )
    requests = _Family(
        "storebridge_api_requests_24h", "gauge", "WooCommerce requests in the last 24 hours."
    )
    errors = _Family(
        "storebridge_api_errors_24h", "gauge", "Failed WooCommerce requests in the last 24 hours."
    )
    for store in stores:
        for state, count in session.execute(
            select(ProductLink.state, func.count())
            .where(ProductLink.store == store)
            .group_by(ProductLink.state)
        ):
            links.add(count, store=store, state=state)
        quarantined.add(
            session.scalar(
                select(func.count()).where(
                    QuarantineRow.store == store, QuarantineRow.resolved_at.is_(None)
                )
            )
            or 0,
            store=store,
        )
        for state, count in session.execute(
            select(Export.state, func.count()).where(Export.store == store).group_by(Export.state)
        ):
            exports.add(count, store=store, state=state)
        for job, outcome, count in session.execute(
            select(Run.job, Run.outcome, func.count())
            .where(Run.store == store)
            .group_by(Run.job, Run.outcome)
        ):
            runs.add(count, store=store, job=job, outcome=outcome)
        for job, started in session.execute(
            select(Run.job, func.max(Run.started_at)).where(Run.store == store).group_by(Run.job)
        ):
            if started is not None:
                last.add(round(started.timestamp(), 3), store=store, job=job)
        usage = api_usage(
            session.scalars(
                select(Run).where(Run.store == store, Run.started_at >= now - API_WINDOW)
            )
        )
        requests.add(usage.requests, store=store)
        errors.add(usage.errors, store=store)
    families = (up, links, quarantined, exports, runs, last, requests, errors)
    return "\n".join(line for family in families for line in family.lines) + "\n"
