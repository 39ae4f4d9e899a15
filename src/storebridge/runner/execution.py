"""One execution of one job for one store: lock, due check, run log, API usage.

`execute` is what both the embedded scheduler and a manual trigger call:

1. take the job's lock for the store (`locks.job_lock`, which dies with its
   holder); if another process or task holds it, return `Busy` at once: a
   conflict means "try later", never a blocking wait;
2. with the lock held, close runs of this job left ``running`` by a process
   that died (nobody else can be running it now), and, when an interval is
   given, check the run log again: if another runner started the job less
   than an interval ago, return `NotDue` with the time it will be due;
3. run the job, and count the WooCommerce requests its clients made;
4. write the run log: the runner's own row (opened as ``running`` before the
   job, so the dashboard shows it) or, for engines that record their own run,
   the API usage added to that row;
5. release the lock, whatever happened.

A job raising an exception is a failed run (the error is recorded and
logged, never re-raised); cancellation (a forced shutdown) closes the run as
interrupted and propagates.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from storebridge.bootstrap import Services
from storebridge.persistence.repositories import locks, runs
from storebridge.persistence.repositories.runs import RunOutcome
from storebridge.persistence.tables import Run
from storebridge.runner.api_usage import API_REQUESTS, ApiUsage, collecting
from storebridge.runner.clock import Clock
from storebridge.runner.jobs import Job, JobResult
from storebridge.runner.logs import job_context
from storebridge.runner.schedule import due_at

__all__ = [
    "INTERRUPTED",
    "Busy",
    "Execution",
    "NotDue",
    "Ran",
    "execute",
    "last_started",
    "latest",
]

logger = logging.getLogger("storebridge.runner")

INTERRUPTED = "interrupted: StoreBridge was stopped before the run finished"
ORPHANED = "interrupted: the process running it stopped before the run finished"


@dataclass(frozen=True, slots=True)
class Ran:
    """The job ran; `run_id` is its run-log row (None if the engine wrote none)."""

    outcome: RunOutcome
    error: str | None
    run_id: int | None
    started_at: datetime


@dataclass(frozen=True, slots=True)
class Busy:
    """Someone else holds the job's lock for this store."""

    holder: str | None


@dataclass(frozen=True, slots=True)
class NotDue:
    """Another runner ran the job recently; it is due again at `due`."""

    due: datetime


Execution = Ran | Busy | NotDue


def latest(*moments: datetime | None) -> datetime | None:
    """The latest of the known moments (None when none is known)."""
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def last_starts(services: Services) -> dict[tuple[str, str], datetime]:
    """When the newest run of every (store, job) started, in one query (a tick's schedule)."""
    with services.sessions() as session:
        rows = session.execute(
            select(Run.store, Run.job, func.max(Run.started_at)).group_by(Run.store, Run.job)
        )
        return {(store, job): started for store, job, started in rows}


def last_started(services: Services, store: str, job: str) -> datetime | None:
    """When the newest run of `job` for `store` started, if it ever ran."""
    with services.sessions() as session:
        return session.scalar(
            select(Run.started_at)
            .where(Run.store == store, Run.job == job)
            .order_by(Run.id.desc())
            .limit(1)
        )


async def execute(
    services: Services,
    job: Job,
    store: str,
    *,
    holder: str,
    clock: Clock,
    interval: timedelta | None = None,
    ran_at: datetime | None = None,
) -> Execution:
    """Run `job` for `store` under its lock (see the module docstring).

    Args:
        services: the wired application.
        job: what to run.
        store: the store name.
        holder: who runs it (process identity); made unique per execution.
        clock: time source for the lock row and the run log.
        interval: when given, skip the run if it ran less than this long ago.
        ran_at: when this runner last started the job (engines that log their run
            under another name leave no trace of it under the job's own name).
    """
    owner = f"{holder}/{job.name}/{uuid.uuid4().hex[:8]}"
    lock = job.lock_name
    with locks.job_lock(
        services.sessions, store=store, job=lock, holder=owner, clock=clock.now
    ) as taken:
        if not taken:
            with services.sessions() as session:
                return Busy(locks.current_holder(session, store=store, job=lock))
        _close_orphans(services, store, job.name, clock.now())
        if interval is not None:
            last = latest(last_started(services, store, job.name), ran_at)
            due = due_at(last, interval, clock.now())
            if due > clock.now():
                return NotDue(due)
        with job_context(store=store, job=job.name):
            return await _run(services, job, store, clock)


async def _run(services: Services, job: Job, store: str, clock: Clock) -> Ran:
    started = clock.now()
    run_id: int | None = None
    if not job.records_runs:
        with services.sessions.begin() as session:
            run_id = runs.start_run(session, store=store, job=job.name, now=started).id
    with collecting() as usage:
        try:
            result = await job.run(services, store)
        except asyncio.CancelledError:
            _record(services, run_id, JobResult(outcome="failed", error=INTERRUPTED), usage, clock)
            raise
        except Exception as error:  # a job's bug must not stop the runner: log and record it
            logger.exception("store %s: job %s crashed", store, job.name)
            message = f"internal error: {type(error).__name__}: {error}"
            result = JobResult(outcome="failed", error=message)
            if job.records_runs:
                # The engine recorded the failed run before re-raising; add nothing twice.
                return Ran("failed", message, None, started)
    if job.records_runs:
        run_id = result.run_ids[-1] if result.run_ids else None
    _record(services, run_id, result, usage, clock, engine_row=job.records_runs)
    done = ", ".join(
        f"{key} {value}"
        for key, value in sorted(result.counts.items())
        if value and not key.startswith("planned_")  # what was done, not what was planned
    )
    if result.error:
        logger.warning("store %s: job %s %s: %s", store, job.name, result.outcome, result.error)
    else:
        logger.info(
            "store %s: job %s %s%s", store, job.name, result.outcome, f" ({done})" * bool(done)
        )
    return Ran(result.outcome, result.error, run_id, started)


def _record(
    services: Services,
    run_id: int | None,
    result: JobResult,
    usage: ApiUsage,
    clock: Clock,
    *,
    engine_row: bool = False,
) -> None:
    if run_id is None:
        return
    with services.sessions.begin() as session:
        if engine_row:
            # The engine closed its row already; only the request totals are added.
            run = session.get(Run, run_id)
            if run is not None:
                run.counts = {**run.counts, **result.extra_counts, **usage.counts()}
            return
        # Requests already logged on engine rows written during the job are not counted twice.
        logged = sum(
            sum(int(n) for n in (row.requests or {}).values())
            for row in session.scalars(select(Run).where(Run.id.in_(result.run_ids)))
        )
        api = usage.counts()
        api[API_REQUESTS] = max(0, api[API_REQUESTS] - logged)
        runs.finish_run(
            session,
            run_id=run_id,
            outcome=result.outcome,
            counts={**result.counts, **result.extra_counts, **api},
            error=result.error,
            requests=dict(result.requests) or usage.by_endpoint(),
            now=clock.now(),
        )


def _close_orphans(services: Services, store: str, job: str, now: datetime) -> None:
    """Fail runs of `job` still marked running: with the lock held, none can be alive."""
    with services.sessions.begin() as session:
        session.execute(
            update(Run)
            .where(Run.store == store, Run.job == job, Run.outcome == "running")
            .values(outcome="failed", finished_at=now, error=ORPHANED)
            .execution_options(synchronize_session=False)
        )
