"""Running one job for one store: the run record, the client, and errors that stop it.

`run_job` opens the `runs` row, hands a fresh WooCommerce client to the job's
body (its batch concurrency resumed where the store's last run that sent
batches ended, `batch_concurrency`: a store's level is learnt once, not by
every run), makes sure the run authenticated at least once (one cheap read
when the body needed no request; only a refused key fails the run then),
takes the client's request counters and batch concurrency into the report,
and closes the run with its outcome.  An error that stops the job (POS unreachable, key
refused...) is caught and turned into `RunReport.error`, a sentence saying
what to do next (`describe_error`); anything else is a bug, recorded as a
failed run and raised.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

from sqlalchemy.orm import Session

from storebridge.bootstrap import Services
from storebridge.errors import ConfigError, PosRejected, PosUnavailable, StoreBridgeError
from storebridge.persistence.repositories import runs
from storebridge.persistence.types import utcnow
from storebridge.sync.report import CONCURRENCY, CONCURRENCY_MAX, CONCURRENCY_PEAK, RunReport
from storebridge.woocommerce import (
    ConcurrencyLevel,
    WooAuthError,
    WooClient,
    WooError,
    WooRateLimited,
    WooServerError,
    WooTransportError,
)

__all__ = ["LedgerRefresh", "batch_concurrency", "describe_error", "run_job"]

logger = logging.getLogger("storebridge.sync")

#: Brings the order ledger up to date before stock is computed (the allocation engine's job);
#: returns the SKU keys whose allocation it may have moved, which the caller must push.
LedgerRefresh = Callable[[WooClient], Awaitable[Collection[str]]]

#: How far back to look for a run that sent batches.
CONCURRENCY_LOOKBACK = 50


def batch_concurrency(session: Session, store: str) -> ConcurrencyLevel | None:
    """The batch concurrency of the store's newest run that sent batches, if any recent one did."""
    for run in runs.list_runs(session, store=store, limit=CONCURRENCY_LOOKBACK):
        counts = run.counts or {}
        if CONCURRENCY in counts:
            return ConcurrencyLevel(
                current=int(counts[CONCURRENCY]),
                peak=int(counts.get(CONCURRENCY_PEAK, counts[CONCURRENCY])),
                maximum=int(counts.get(CONCURRENCY_MAX, counts[CONCURRENCY])),
            )
    return None


def describe_error(error: StoreBridgeError, store: str) -> str:
    """What stopped a run, and what the operator should do about it (never a secret)."""
    where = f"[stores.{store}.woocommerce]"
    if isinstance(error, WooAuthError):
        return (
            f"WooCommerce refused the API key ({error}): check consumer_key and consumer_secret "
            f"in {where} and that the key has read_write permission"
        )
    if isinstance(error, WooTransportError):
        return (
            f"cannot reach WooCommerce ({error}): check the url in {where} and the network; "
            "the next run tries again"
        )
    if isinstance(error, WooRateLimited | WooServerError):
        return f"WooCommerce kept failing ({error}); the next run tries again"
    if isinstance(error, WooError):
        return f"WooCommerce answered with an error ({error})"
    if isinstance(error, PosUnavailable):
        return f"the POS/ERP is unavailable ({error}); the next run tries again"
    if isinstance(error, PosRejected):
        return f"the POS/ERP feed was refused: {error}"
    if isinstance(error, ConfigError):
        return f"configuration problem: {error}"
    return str(error)


async def run_job(
    services: Services,
    store: str,
    report: RunReport,
    body: Callable[[WooClient], Awaitable[None]],
    *,
    record: bool = True,
    check_key: bool = True,
) -> None:
    """Run `body` with a fresh client for `store`, filling `report` and the runs table.

    Args:
        services: the wired application.
        store: the store name.
        report: the report to complete (its `job` names the run).
        body: the job itself.
        record: write a `runs` row (False for dry runs).
        check_key: authenticate once if `body` sent no request (False for work that
            always follows an authenticated read, such as a stock push after a refresh).
    """
    store_services = services.store(store)
    with services.sessions.begin() as session:
        learnt = batch_concurrency(session, store)
        if record:
            report.run_id = runs.start_run(session, store=store, job=report.job).id
    finished = False
    try:
        async with store_services.woo() as woo:
            if learnt is not None:
                woo.resume_concurrency(learnt.current)
            try:
                await body(woo)
                if check_key and woo.stats.snapshot().total == 0:
                    await _check_key(woo, store)
            finally:
                report.add_requests(woo.stats.snapshot(), woo.concurrency)
        finished = True
    except StoreBridgeError as error:
        report.error = describe_error(error, store)
        logger.warning("store %s: %s run stopped: %s", store, report.job, report.error)
        finished = True
    finally:
        if not finished:  # a bug or a cancellation: the exception goes on after recording
            report.error = "internal error: the run stopped unexpectedly (see the log)"
        report.finished_at = utcnow()
        if record and report.run_id is not None:
            with services.sessions.begin() as session:
                runs.finish_run(
                    session,
                    run_id=report.run_id,
                    outcome=report.outcome,
                    counts=report.summary_counts(),
                    error=report.error or _first_problems(report),
                    requests=report.requests,
                    now=report.finished_at,
                )


async def _check_key(woo: WooClient, store: str) -> None:
    """Authenticate once in a run that needed nothing from WooCommerce.

    Without it a revoked or wrong key goes unnoticed (and the dashboard green) until
    something needs writing.  Only a refused key fails the run: the run's own work did
    not need WooCommerce, so an unreachable store is logged and left to the jobs that do.
    """
    try:
        await woo.check_key()
    except WooAuthError:
        raise
    except WooError as error:
        logger.warning("store %s: could not check the API key: %s", store, error)


def _first_problems(report: RunReport) -> str | None:
    failed = [p for p in report.problems if p.kind in ("failed", "parked")]
    if not failed:
        return None
    shown = "; ".join(f"{p.sku}: {p.detail}" for p in failed[:3])
    more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
    return f"{len(failed)} item(s) failed: {shown}{more}"
