"""The same jobs on distributed workers: procrastinate tasks on PostgreSQL (`storebridge worker`).

Any number of worker processes, on any machines, share one PostgreSQL
database (StoreBridge's own, where procrastinate keeps its queue tables):

* one task, ``storebridge.run_job(store, job)``, runs a catalogue `Job` through
  `execution.execute` (run log, API usage, and the store's job lock, so an
  embedded `storebridge run` on the same database is excluded too);
* every job is deferred with ``lock=f"store:{store}"``: procrastinate never
  runs two jobs of one store at once, whichever workers pick them up; and
  with ``queueing_lock=f"{store}:{job}"``: a job already waiting is not queued
  twice (`AlreadyEnqueued` is the expected, silent answer);
* each worker also ticks: jobs due according to the run log are deferred, so
  no separate scheduler process is needed and duplicates cost nothing;
* a tick also puts back in the queue the jobs of a worker that died mid-job
  (SIGKILL, OOM, lost machine: no heartbeat for `STALLED_AFTER_S`).  Without
  that such a job stays "doing" for ever, and since it holds its store's lock,
  no other job of that store would ever start again.

Tests use procrastinate's `InMemoryConnector`; production uses
`PsycopgConnector` on the storage URL (`connector_for`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import procrastinate
from procrastinate.connector import BaseAsyncConnector
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from sqlalchemy.engine import URL

from storebridge.bootstrap import Services
from storebridge.errors import ConfigError
from storebridge.runner.api_usage import instrument
from storebridge.runner.clock import Clock, SystemClock
from storebridge.runner.execution import Busy, NotDue, Ran, execute, last_starts
from storebridge.runner.jobs import Job, default_jobs
from storebridge.runner.schedule import JobKey, due_at, intervals, next_tick_s
from storebridge.runner.scheduler import default_holder

__all__ = [
    "FETCH_POLL_S",
    "QUEUE",
    "TASK_NAME",
    "DistributedRunner",
    "Schedule",
    "connector_for",
    "ensure_schema",
    "lock_for",
    "queueing_lock_for",
]

logger = logging.getLogger("storebridge.runner")

QUEUE = "storebridge"
TASK_NAME = "storebridge.run_job"
#: A worker silent this long is dead (procrastinate heartbeats every 10 s).
STALLED_AFTER_S = 30.0
#: How often an idle worker looks for jobs it could not take at their notification.
FETCH_POLL_S = 1.0


@dataclass(frozen=True, slots=True)
class Schedule:
    """The jobs due at one moment, and when the next one falls due (None: none is waiting)."""

    due: list[JobKey]
    upcoming: datetime | None


def lock_for(store: str) -> str:
    """The procrastinate lock of a store: one job of a store at a time."""
    return f"store:{store}"


def queueing_lock_for(store: str, job: str) -> str:
    """At most one waiting copy of a store's job."""
    return f"{store}:{job}"


def connector_for(storage_url: URL) -> BaseAsyncConnector:
    """A psycopg connector on StoreBridge's PostgreSQL database.

    Raises:
        ConfigError: the storage is not PostgreSQL (procrastinate needs it).
    """
    if storage_url.get_backend_name() != "postgresql":
        raise ConfigError(
            "distributed workers need PostgreSQL storage: set [storage] url = "
            '"postgresql+psycopg://user@host:5432/db" (SQLite serves `storebridge run` only)'
        )
    conninfo = storage_url.set(drivername="postgresql").render_as_string(hide_password=False)
    return procrastinate.PsycopgConnector(conninfo=conninfo)


async def ensure_schema(app: procrastinate.App) -> bool:
    """Create procrastinate's tables unless they exist; True if they were created."""
    found = await app.connector.execute_query_one_async(
        "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
    )
    if found and found.get("present"):
        return False
    await app.schema_manager.apply_schema_async()
    return True


class DistributedRunner:
    """A procrastinate app running the job catalogue for every store (see the module docstring)."""

    def __init__(
        self,
        services: Services,
        connector: BaseAsyncConnector,
        jobs: Mapping[str, Job] | None = None,
        *,
        clock: Clock | None = None,
        holder: str | None = None,
    ) -> None:
        self.services = services
        self.jobs = dict(default_jobs() if jobs is None else jobs)
        self.clock: Clock = clock or SystemClock()
        self.holder = f"worker:{holder or default_holder()}"
        self.intervals = intervals(services.settings, self.jobs)
        self.app = procrastinate.App(connector=connector)
        self.task = self.app.task(name=TASK_NAME, queue=QUEUE, pass_context=False)(self._run_job)
        instrument(services)

    async def _run_job(self, store: str, job: str) -> str:
        if job not in self.jobs or store not in self.services.stores:
            logger.error("unknown job %r for store %r: dropped", job, store)
            return "unknown"
        outcome = await execute(
            self.services,
            self.jobs[job],
            store,
            holder=self.holder,
            clock=self.clock,
        )
        if isinstance(outcome, Ran):
            return outcome.outcome
        if isinstance(outcome, Busy):
            logger.info("store %s: %s held by %s; skipped", store, job, outcome.holder)
            return "busy"
        assert isinstance(outcome, NotDue)
        return "not due"

    async def defer(self, store: str, job: str) -> int | None:
        """Queue one job of one store; None when the same job is already waiting."""
        deferrer = self.task.configure(
            lock=lock_for(store), queueing_lock=queueing_lock_for(store, job)
        )
        try:
            job_id: int = await deferrer.defer_async(store=store, job=job)
        except AlreadyEnqueued:
            return None
        return job_id

    def due(self, now: datetime) -> list[JobKey]:
        """The (store, job) pairs whose interval has passed since their last start."""
        return self.schedule(now).due

    def schedule(self, now: datetime) -> Schedule:
        """What is due now and when the next job falls due (one query over the run log)."""
        started = last_starts(self.services)
        due: list[JobKey] = []
        upcoming: datetime | None = None
        for key, interval in sorted(self.intervals.items()):
            at = due_at(started.get((key.store, key.job)), interval, now)
            if at <= now:
                due.append(key)
            elif upcoming is None or at < upcoming:
                upcoming = at
        return Schedule(due, upcoming)

    async def requeue_stalled(self) -> list[int]:
        """Put back in the queue the jobs whose worker stopped heart-beating; returns their ids."""
        manager = self.app.job_manager
        requeued = []
        for job in await manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=STALLED_AFTER_S
        ):
            try:
                await manager.retry_job(job)
            except ConnectorException:
                # A copy of the job already waits (its queueing lock), or another worker's
                # tick got there first: close this one so it frees the store's lock.
                if not await self._close_stalled(job):
                    continue
            logger.warning(
                "job %s (%s) was cut short by a worker that died; queued again (or closed when "
                "a copy already waits)",
                job.id,
                ", ".join(f"{k}={v}" for k, v in sorted(job.task_kwargs.items())),
            )
            if job.id is not None:
                requeued.append(job.id)
        return requeued

    async def _close_stalled(self, job: procrastinate.jobs.Job) -> bool:
        """Mark a stalled job failed; False when it is no longer stalled (someone else acted)."""
        try:
            await self.app.job_manager.finish_job(
                job, status=procrastinate.jobs.Status.FAILED, delete_job=False
            )
        except ConnectorException:
            logger.debug("stalled job %s already handled", job.id, exc_info=True)
            return False
        return True

    async def tick(self) -> list[JobKey]:
        """One tick: requeue stalled jobs, then queue every job that is due."""
        await self.requeue_stalled()
        return await self.defer_due()

    async def defer_due(self) -> list[JobKey]:
        """Queue every job that is due; returns those newly queued."""
        return (await self._defer_due())[0]

    async def _defer_due(self) -> tuple[list[JobKey], datetime | None]:
        now = self.clock.now()
        # The run log is read off the event loop: the worker's jobs share this loop.
        schedule = await asyncio.to_thread(self.schedule, now)
        queued = []
        for key in schedule.due:
            if await self.defer(key.store, key.job) is not None:
                queued.append(key)
        return queued, schedule.upcoming

    async def work(self, *, wait: bool = True, concurrency: int = 4, **options: Any) -> None:
        """Run procrastinate's worker on the StoreBridge queue (returns when idle unless `wait`)."""
        # A job skipped because its store's lock was held is fetched again only on the next
        # notification or poll; procrastinate polls every 5 s, which would start it up to 5 s
        # late. One cheap query a second keeps each store's runs on their interval.
        options.setdefault("fetch_job_polling_interval", FETCH_POLL_S)
        await self.app.run_worker_async(
            queues=[QUEUE],
            wait=wait,
            concurrency=concurrency,
            install_signal_handlers=False,
            **options,
        )

    @property
    def tick_seconds(self) -> float:
        """How often to look for due jobs: half the shortest interval, 1 to 30 seconds."""
        shortest = min((i.total_seconds() for i in self.intervals.values()), default=60.0)
        return max(1.0, min(30.0, shortest / 2))

    async def tick_forever(self, every_s: float) -> None:
        """Tick until cancelled: at the latest every `every_s` seconds, sooner when a job falls due.

        A fixed tick would start a job up to a whole tick after it fell due, and
        every job falling due within one tick would be queued in one burst;
        waking when the next job falls due keeps each store's runs one interval
        apart (at least `schedule.MIN_TICK_S` between ticks, so a clock that jumps cannot
        make it spin).
        """
        while True:
            wait = every_s
            try:
                await self.requeue_stalled()
                queued, upcoming = await self._defer_due()
            except Exception:  # keep ticking through a database hiccup
                logger.exception("could not queue due jobs; retrying in %s s", every_s)
            else:
                if queued:
                    logger.info("queued: %s", ", ".join(str(key) for key in queued))
                if upcoming is not None:
                    wait = next_tick_s(upcoming, self.clock.now(), every_s)
            await self.clock.sleep(wait)
