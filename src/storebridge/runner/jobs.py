"""The job catalogue: what the runner can run for a store, as plain values.

A `Job` names a unit of periodic work (``products``, ``orders``, ``export``,
``reconcile``), the coroutine that does it for one store, the database lock it
runs under, and whether its engine writes its own run-log row.  The
scheduler, the distributed workers and the tests all take a mapping of jobs,
so a test injects a job that blocks on an event instead of patching the
engines.

Lock groups: jobs that write products or stock to WooCommerce (products,
orders, reconcile) share the ``catalog`` lock of a store, so a stock push
never interleaves with a products run computing the same figures; the export
writes only to the POS and runs under its own lock.

`default_jobs()` wires the sync engines and the alerts job
(`storebridge.alerts.job`: observe the store, send what people are owed).  Products, export and reconcile
record their own run (`sync.runs.run_job`); the runner adds the API usage to
that row.  The orders job (one allocation cycle,
`sync.orders.allocation.refresh_and_push`) is logged by the runner as ``orders``; a
stock push it makes leaves its own ``stock`` row, listed in `run_ids`.  After
a reconcile the runner also counts the drafts StoreBridge created that the
merchant has not published yet (`count_drafts`, one cheap read), and checks
the store's order webhooks (`sync.setup.webhooks.check_webhooks`: a warning in
the log for each one disabled or missing, counts per state), both shown on the
overview.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from storebridge.bootstrap import Services
from storebridge.errors import StoreBridgeError
from storebridge.persistence.repositories.runs import RunOutcome
from storebridge.persistence.tables import ProductLink
from storebridge.sync.catalogue.products import sync_products
from storebridge.sync.catalogue.reconcile import reconcile
from storebridge.sync.export.engine import export_orders
from storebridge.sync.locks import CATALOG_LOCK
from storebridge.sync.orders.allocation import ledger_refresher, refresh_and_push
from storebridge.sync.report import RunReport
from storebridge.sync.runs import describe_error
from storebridge.sync.setup.webhooks import check_webhooks

__all__ = [
    "ALERTS_JOB",
    "DRAFTS",
    "JOB_NAMES",
    "Job",
    "JobFn",
    "JobResult",
    "count_drafts",
    "default_jobs",
]

#: The periodic jobs, in the order the overview lists them.
JOB_NAMES: tuple[str, ...] = ("products", "orders", "export", "reconcile")
#: The job that tells people about problems (not in JOB_NAMES: the store's health
#: verdict does not depend on it).
ALERTS_JOB = "alerts"
#: Count added to reconcile runs: drafts StoreBridge created that are still unpublished.
DRAFTS = "drafts"


@dataclass(frozen=True, slots=True)
class JobResult:
    """What one execution of a job did, for the run log.

    `run_ids` lists the runs rows the engines wrote during the job (for a
    job whose `Job.records_runs` is set, the last one is the job's own row;
    otherwise the runner writes the row from this result).  `extra_counts` are
    figures measured besides the engine (added to the engine's row too).
    """

    outcome: RunOutcome = "ok"
    counts: Mapping[str, int] = field(default_factory=dict)
    requests: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    run_ids: tuple[int, ...] = ()
    extra_counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_report(cls, report: RunReport) -> JobResult:
        """The result of an engine run (`sync.report.RunReport`)."""
        return cls(
            outcome=report.outcome,
            counts=report.summary_counts(),
            requests=dict(report.requests),
            error=report.error,
            run_ids=() if report.run_id is None else (report.run_id,),
        )


#: Runs a job for one store: (services, store name) -> what it did.
JobFn = Callable[[Services, str], Awaitable[JobResult]]


@dataclass(frozen=True, slots=True)
class Job:
    """One kind of periodic work.

    Attributes:
        name: the job name, as in the run log and ``[runner.intervals]``.
        run: the coroutine doing the work for one store.
        lock: the name of the per-store database lock it runs under (default: `name`).
        records_runs: the engine writes its own runs row (`sync.runs.run_job`);
            otherwise the runner writes one per execution.
    """

    name: str
    run: JobFn
    lock: str = ""
    records_runs: bool = False

    @property
    def lock_name(self) -> str:
        """The lock this job takes (its own name unless it shares a group)."""
        return self.lock or self.name


async def _products(services: Services, store: str) -> JobResult:
    run = await sync_products(services, store, refresh_ledger=ledger_refresher(services, store))
    return JobResult.from_report(run.report)


async def _orders(services: Services, store: str) -> JobResult:
    """One allocation cycle: refresh the ledger, release, push the stock that moved."""
    try:
        cycle = await refresh_and_push(services, store)
    except StoreBridgeError as error:
        return JobResult(outcome="failed", error=describe_error(error, store))
    refresh = cycle.refresh
    counts = {
        "orders_new": refresh.count("new"),
        "orders_changed": refresh.count("changed"),
        "released": len(cycle.released),
        "skus": len(cycle.skus),
    }
    if cycle.push is None:
        return JobResult(counts=counts)
    pushed = JobResult.from_report(cycle.push)
    counts["stock_pushed"] = cycle.push.counts.get("updated", 0)
    return replace(pushed, counts=counts, requests={})


async def _export(services: Services, store: str) -> JobResult:
    return JobResult.from_report(await export_orders(services, store))


async def _reconcile(services: Services, store: str) -> JobResult:
    report = await reconcile(services, store, refresh_ledger=ledger_refresher(services, store))
    result = JobResult.from_report(report)
    if report.error is not None:
        return result
    extra = {DRAFTS: await count_drafts(services, store)} | await check_webhooks(services, store)
    return replace(result, extra_counts=extra)


async def count_drafts(services: Services, store: str) -> int:
    """How many products StoreBridge created are still drafts in WooCommerce.

    One paged read of the store's drafts (ids only): merchants publish what
    they want, so drafts are few, and the figure tells them what is waiting.
    """
    with services.sessions() as session:
        created = set(
            session.scalars(
                select(ProductLink.woo_id).where(
                    ProductLink.store == store,
                    ProductLink.origin == "created",
                    ProductLink.state == "linked",
                    ProductLink.woo_parent_id.is_(None),
                    ProductLink.woo_id.is_not(None),
                )
            )
        )
    if not created:
        return 0
    drafts = 0
    async with services.store(store).woo() as woo:
        async for item in woo.iter_items("/products", {"status": "draft"}, fields=["id"]):
            if int(item["id"]) in created:
                drafts += 1
    return drafts


async def _alerts(services: Services, store: str) -> JobResult:
    # Imported here: the alerts read the dashboard's overview, which imports this catalogue.
    from storebridge.alerts.job import run_alerts

    return await run_alerts(services, store)


def default_jobs() -> dict[str, Job]:
    """The engines StoreBridge ships, keyed by job name."""
    jobs = [
        Job("products", _products, lock=CATALOG_LOCK, records_runs=True),
        Job("orders", _orders, lock=CATALOG_LOCK),
        Job("export", _export, records_runs=True),
        Job("reconcile", _reconcile, lock=CATALOG_LOCK, records_runs=True),
        # Its own lock: alerts only read the store's state, and must not wait for a long sync.
        Job(ALERTS_JOB, _alerts),
    ]
    return {job.name: job for job in jobs}
