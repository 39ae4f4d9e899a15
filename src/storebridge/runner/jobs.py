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

`default_jobs()` wires the sync engines.  Each engine records its own run
(`sync.runs.run_job`), so the runner only adds the API usage to that row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from storebridge.bootstrap import Services
from storebridge.persistence.repositories.runs import RunOutcome
from storebridge.sync.report import RunReport

__all__ = [
    "JOB_NAMES",
    "Job",
    "JobFn",
    "JobResult",
    "combine",
    "default_jobs",
]

#: The periodic jobs, in the order the overview lists them.
JOB_NAMES: tuple[str, ...] = ("products", "orders", "export", "reconcile")

_SEVERITY: dict[RunOutcome, int] = {"ok": 0, "partial": 1, "failed": 2}


@dataclass(frozen=True, slots=True)
class JobResult:
    """What one execution of a job did, for the run log.

    `run_ids` lists the runs rows the engine wrote itself; when it is empty
    the runner writes the row from this result.
    """

    outcome: RunOutcome = "ok"
    counts: Mapping[str, int] = field(default_factory=dict)
    requests: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    run_ids: tuple[int, ...] = ()

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


def combine(results: Iterable[JobResult]) -> JobResult:
    """One result for a job made of several engine runs: the worst outcome, summed counts."""
    items = list(results)
    if not items:
        return JobResult()
    outcome = max((r.outcome for r in items), key=_SEVERITY.__getitem__)
    counts: dict[str, int] = {}
    requests: dict[str, int] = {}
    for result in items:
        for key, value in result.counts.items():
            counts[key] = counts.get(key, 0) + value
        for key, value in result.requests.items():
            requests[key] = requests.get(key, 0) + value
    errors = [r.error for r in items if r.error]
    return JobResult(
        outcome=outcome,
        counts=counts,
        requests=requests,
        error="; ".join(errors) if errors else None,
        run_ids=tuple(run_id for r in items for run_id in r.run_ids),
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
    from storebridge.sync.products import sync_products

    run = await sync_products(services, store)
    return JobResult.from_report(run.report)


def default_jobs() -> dict[str, Job]:
    """The engines StoreBridge ships, keyed by job name."""
    jobs = [
        Job("products", _products, lock="catalog", records_runs=True),
    ]
    return {job.name: job for job in jobs}
