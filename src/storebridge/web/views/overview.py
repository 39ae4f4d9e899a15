"""The overview's figures for one store, read from StoreBridge's database.

Every number on the overview page comes from here, so the browser tests can
check the page against the same queries.  Nothing here talks to WooCommerce
or the POS: the page must stay fast and keep working when they are down.

API usage comes from the run log: the runner adds ``api_requests`` and
``api_errors`` to each run's counts; runs recorded without them (a CLI run)
count their requests but no errors.  The batch concurrency shown is the one the
newest run that sent batches settled on (``concurrency`` and its peak and maximum
in that run's counts, see `sync.report`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from storebridge.persistence.repositories.runs import latest_runs
from storebridge.persistence.tables import (
    Alert,
    Export,
    Order,
    ProductLink,
    QuarantineRow,
    Run,
    StockHistory,
)
from storebridge.runner.api_usage import API_ERRORS, API_REQUESTS
from storebridge.runner.jobs import DRAFTS, JOB_NAMES
from storebridge.runner.schedule import JobKey, due_at, intervals
from storebridge.settings import Settings
from storebridge.sync.orders.ledger_view import allocated_for_store
from storebridge.sync.runs import batch_concurrency
from storebridge.sync.setup.webhooks import WEBHOOK_COUNT_PREFIX
from storebridge.web.health import Health, JobFacts, StoreFacts, judge
from storebridge.woocommerce import ConcurrencyLevel

__all__ = [
    "ApiUsage",
    "JobStatus",
    "StoreOverview",
    "api_usage",
    "batch_concurrency",
    "store_overview",
    "usage_of",
]

API_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class JobStatus:
    """The last run of one job of a store, and when the next one is due."""

    job: str
    interval: timedelta
    run_id: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    error: str | None = None

    def next_due(self, now: datetime) -> datetime:
        """When the runner starts this job next (`schedule.due_at`, the scheduler's own rule).

        A job that never ran is due at once.  Read from the run log, so it is
        right whichever process runs the jobs.
        """
        return due_at(self.started_at, self.interval, now)


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """WooCommerce requests made by the store's runs in the last 24 hours."""

    requests: int
    errors: int

    @property
    def error_rate(self) -> float | None:
        """Failed share of the requests (None when there were none)."""
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True, slots=True)
class StoreOverview:
    """Everything the overview shows for one store."""

    name: str
    health: Health
    jobs: tuple[JobStatus, ...]
    linked: int
    link_problems: Mapping[str, int]
    created_by_us: int
    drafts_waiting: int | None
    #: Order webhooks per state ("ok", "disabled", "missing"...); None until a reconcile checked.
    webhooks: Mapping[str, int] | None
    quarantined: int
    stock_pushes_today: int
    orders_outstanding: int
    units_allocated: int
    exports: Mapping[str, int]
    parked_exports: int
    api: ApiUsage
    open_alerts: int
    concurrency: ConcurrencyLevel | None = None

    @property
    def exported(self) -> int:
        return self.exports.get("exported", 0)

    @property
    def failed(self) -> int:
        return self.exports.get("failed", 0)

    @property
    def webhook_problems(self) -> dict[str, int]:
        """The webhook states other than "ok" that some topic is in."""
        return {k: v for k, v in (self.webhooks or {}).items() if k != "ok" and v}


def _count(session: Session, *criteria: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).where(*criteria)) or 0


def _by(
    session: Session, column: InstrumentedAttribute[str], *criteria: ColumnElement[bool]
) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*criteria).group_by(column))
    return {str(key): int(count) for key, count in rows}


def usage_of(counts: Mapping[str, int] | None, requests: Mapping[str, int] | None) -> ApiUsage:
    """Requests and errors of one run, from its counts and requests by endpoint.

    The runner's own figures when it counted them; else every request logged,
    and no error (a CLI run does not count its failed attempts).
    """
    counts = counts or {}
    if API_REQUESTS in counts:
        return ApiUsage(int(counts[API_REQUESTS]), int(counts.get(API_ERRORS, 0)))
    return ApiUsage(sum(int(v) for v in (requests or {}).values()), 0)


def api_usage(runs: Iterable[Run]) -> ApiUsage:
    """Requests and errors of these runs (errors only where the runner counted them)."""
    requests = errors = 0
    for run in runs:
        usage = usage_of(run.counts, run.requests)
        requests += usage.requests
        errors += usage.errors
    return ApiUsage(requests, errors)


def _reconcile_counts(session: Session, store: str, prefix: str) -> dict[str, int] | None:
    """The counts named `prefix`... of the newest reconcile that recorded any."""
    counts = session.scalars(
        select(Run.counts)
        .where(Run.store == store, Run.job == "reconcile", Run.outcome != "running")
        .order_by(Run.id.desc())
        .limit(5)
    )
    for entry in counts:
        found = {k: int(v) for k, v in (entry or {}).items() if k.startswith(prefix)}
        if found:
            return found
    return None


def _drafts(session: Session, store: str) -> int | None:
    """Drafts waiting, as counted by the newest reconcile that counted them."""
    return (_reconcile_counts(session, store, DRAFTS) or {}).get(DRAFTS)


def _webhooks(session: Session, store: str) -> dict[str, int] | None:
    """Order webhooks per state (ok, disabled...), as the newest reconcile found them."""
    counts = _reconcile_counts(session, store, WEBHOOK_COUNT_PREFIX)
    if counts is None:
        return None
    return {key.removeprefix(WEBHOOK_COUNT_PREFIX): value for key, value in counts.items()}


def store_overview(
    session: Session, settings: Settings, store: str, now: datetime
) -> StoreOverview:
    """The overview of `store` at `now`."""
    store_settings = settings.store(store)
    every = intervals(settings, JOB_NAMES, [store])
    latest = {run.job: run for run in latest_runs(session, store=store)}
    jobs: list[JobStatus] = []
    for name in JOB_NAMES:
        interval = every[JobKey(store, name)]
        run = latest.get(name)
        if run is None:
            jobs.append(JobStatus(name, interval))
        else:
            jobs.append(
                JobStatus(
                    name, interval, run.id, run.started_at, run.finished_at, run.outcome, run.error
                )
            )
    links = _by(session, ProductLink.state, ProductLink.store == store)
    problems = {state: links.get(state, 0) for state in ("broken", "deleted", "parked")}
    exports = _by(session, Export.state, Export.store == store)
    parked = _count(
        session,
        Export.store == store,
        Export.state == "failed",
        Export.next_retry_at.is_(None),
    )
    quarantined = _count(session, QuarantineRow.store == store, QuarantineRow.resolved_at.is_(None))
    midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    pushes = _count(
        session,
        StockHistory.store == store,
        StockHistory.pushed.is_(True),
        StockHistory.at >= midnight,
    )
    outstanding = _count(
        session, Order.store == store, Order.status.in_(store_settings.allocating_statuses)
    )
    allocated = sum(allocated_for_store(session, store, store_settings).values())
    recent = session.scalars(
        select(Run).where(Run.store == store, Run.started_at >= now - API_WINDOW)
    )
    usage = api_usage(recent)
    facts = StoreFacts(
        jobs=[JobFacts(j.job, j.interval, j.started_at, j.outcome, j.error) for j in jobs],
        quarantined=quarantined,
        link_problems=problems,
        failed_exports=exports.get("failed", 0),
        parked_exports=parked,
        review_exports=exports.get("review", 0),
        error_rate=usage.error_rate,
    )
    return StoreOverview(
        name=store,
        health=judge(facts, now),
        jobs=tuple(jobs),
        linked=links.get("linked", 0),
        link_problems=problems,
        created_by_us=_count(
            session,
            ProductLink.store == store,
            ProductLink.origin == "created",
            ProductLink.woo_parent_id.is_(None),
        ),
        drafts_waiting=_drafts(session, store),
        webhooks=_webhooks(session, store),
        quarantined=quarantined,
        stock_pushes_today=pushes,
        orders_outstanding=outstanding,
        units_allocated=allocated,
        exports=exports,
        parked_exports=parked,
        api=usage,
        open_alerts=_count(session, Alert.store == store, Alert.resolved_at.is_(None)),
        concurrency=batch_concurrency(session, store),
    )
