"""The measured StoreBridge steps: one engine call, timed and counted.

A step is what the runner does on one tick for one store, called through the
engines' public functions exactly as `runner.jobs` calls them:

* ``sync``: a products run (`sync.products.sync_products`, with the ledger
  refreshed first, as the runner's products job does);
* ``sync-full``: the same run when the connector's periodic full read is due
  (the stored read position is forgotten first, so an incremental connector
  reads every item, as it does every ``full_read_every_s``);
* ``allocation``: one allocation cycle (`sync.allocation.refresh_and_push`):
  read the orders modified since the cursor, then push the stock they moved;
* ``reconcile``: read every linked product back and fix drift
  (`sync.reconcile.reconcile`, ledger refreshed first).

`run_step` measures wall time, CPU time (user + system, every thread of the
process) and the process's peak RSS with `resource.getrusage`, and counts the
requests from the clients' own `RequestStats` (`workspace.ClientLog`, which
also notes when the batch requests ran: `BatchTiming`).  Run
in a fresh worker process (`bench.worker`), CPU and peak RSS are
StoreBridge's alone.
"""

from __future__ import annotations

import asyncio
import cProfile
import resource
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bench.profiling import hotspots
from bench.workspace import STORE, BatchTiming, RequestCount, Workspace
from storebridge.bootstrap import Services
from storebridge.persistence.repositories.cursors import advance_cursor
from storebridge.sync.catalogue.products import POS_READ_STREAM, sync_products
from storebridge.sync.catalogue.reconcile import reconcile
from storebridge.sync.orders.allocation import ledger_refresher, refresh_and_push
from storebridge.sync.report import RunReport

__all__ = ["STEPS", "Step", "StepResult", "run_step"]

Step = Literal["sync", "sync-full", "allocation", "reconcile"]
STEPS: tuple[Step, ...] = ("sync", "sync-full", "allocation", "reconcile")


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one measured step did and cost."""

    step: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    requests: RequestCount
    #: The process's peak RSS before the step (the interpreter and StoreBridge's imports).
    start_rss_mb: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    #: With profiling on: (where, share of the step's CPU), largest first.
    hotspots: list[tuple[str, float]] = field(default_factory=list)
    #: When its batch requests ran (all zero: it sent none).
    batches: BatchTiming = field(default_factory=BatchTiming)

    @property
    def cpu_share(self) -> float:
        """CPU seconds per wall second."""
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the worker prints it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        """The inverse of `to_dict`."""
        return cls(
            **{
                **data,
                "requests": RequestCount(**data["requests"]),
                "hotspots": [(str(where), float(share)) for where, share in data["hotspots"]],
                "batches": BatchTiming(**data.get("batches", {})),
            }
        )


def _report_counts(report: RunReport) -> tuple[dict[str, int], str | None]:
    counts = {key: value for key, value in sorted(report.counts.items()) if value}
    counts["drift"] = len(report.drift)
    counts["quarantined"] = len(report.quarantined)
    counts["problems"] = len(report.problems)
    if report.concurrency is not None:
        # The batch concurrency the client settled on (and the highest it reached).
        counts["concurrency"] = report.concurrency.current
        counts["concurrency_peak"] = report.concurrency.peak
    return counts, report.error


async def _sync(services: Services) -> tuple[dict[str, int], str | None]:
    run = await sync_products(services, STORE, refresh_ledger=ledger_refresher(services, STORE))
    return _report_counts(run.report)


async def _sync_full(services: Services) -> tuple[dict[str, int], str | None]:
    with services.sessions.begin() as session:
        advance_cursor(session, store=STORE, stream=POS_READ_STREAM, value=None)
    return await _sync(services)


async def _reconcile(services: Services) -> tuple[dict[str, int], str | None]:
    report = await reconcile(services, STORE, refresh_ledger=ledger_refresher(services, STORE))
    return _report_counts(report)


async def _allocation(services: Services) -> tuple[dict[str, int], str | None]:
    cycle = await refresh_and_push(services, STORE)
    counts = {
        "orders_new": cycle.refresh.count("new"),
        "orders_changed": cycle.refresh.count("changed"),
        "skus": len(cycle.skus),
        "stock_pushed": cycle.pushed,
        "released": len(cycle.released),
    }
    return counts, None if cycle.push is None else cycle.push.error


_Outcome = tuple[dict[str, int], str | None]
_ENGINES: dict[str, Callable[[Services], Coroutine[Any, Any, _Outcome]]] = {
    "sync": _sync,
    "sync-full": _sync_full,
    "allocation": _allocation,
    "reconcile": _reconcile,
}


def _cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def run_step(workspace: Workspace, step: str, *, profile: bool = False) -> StepResult:
    """Run one step against `workspace` in this process and measure it.

    With `profile`, the step runs under cProfile counting CPU time, and the
    result carries where that CPU went (`profiling.hotspots`); the profiler
    slows the step, so its wall and CPU figures are not comparable.
    """
    engine = _ENGINES.get(step)
    if engine is None:
        raise ValueError(f"unknown step {step!r}; use one of {', '.join(STEPS)}")
    services, log = workspace.open_services()
    try:
        before = resource.getrusage(resource.RUSAGE_SELF)  # ru_maxrss is in KB on Linux
        started = time.perf_counter()
        profiler = cProfile.Profile(time.process_time) if profile else None
        if profiler is not None:
            profiler.enable()
        counts, error = asyncio.run(engine(services))
        if profiler is not None:
            profiler.disable()
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        services.close()
    return StepResult(
        step=step,
        wall_s=wall,
        cpu_s=_cpu_seconds(after) - _cpu_seconds(before),
        peak_rss_mb=after.ru_maxrss / 1024,
        requests=log.requests(),
        start_rss_mb=before.ru_maxrss / 1024,
        counts=counts,
        error=error,
        hotspots=hotspots(profiler) if profiler is not None else [],
        batches=log.batch_timing(started),
    )
