"""The embedded scheduler: every store's jobs at their intervals, in one asyncio process.

One loop per (store, job) pair: read from the run log when the job last
started, sleep until it is due again, then `execution.execute` it under its
database lock.  Because both the due time and the lock live in the database,
two runner processes on one database share the schedule and never run the
same job for the same store at once; a loop that finds the lock taken tries
again a few seconds later.

Shutdown is graceful: `stop()` stops scheduling at once (sleeping loops exit),
lets the runs in flight finish (each engine commits its work in slices, so a
finishing run is never half-recorded) and only cancels them if they outlast
the grace period.  `storebridge run` calls it from the web server's shutdown,
which SIGINT and SIGTERM trigger.

`request(store, job)` asks for a run now (the dashboard's "Sync now"): it
wakes that job's loop, which runs the job at once whatever its interval,
through the same `execute` (lock, run log) as a scheduled run; a request made
while the job runs is served by one more run right after it.

Example::

    scheduler = Scheduler(services, default_jobs())
    scheduler.start()
    ...
    await scheduler.stop(grace=60)
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from storebridge.bootstrap import Services
from storebridge.runner.api_usage import instrument
from storebridge.runner.clock import Clock, SystemClock
from storebridge.runner.execution import (
    Busy,
    Execution,
    NotDue,
    Ran,
    execute,
    last_started,
    latest,
)
from storebridge.runner.jobs import Job, default_jobs
from storebridge.runner.schedule import JobKey, due_at, intervals, wait_seconds

__all__ = ["Scheduler", "UnknownJob", "default_holder"]

logger = logging.getLogger("storebridge.runner")

DEFAULT_BUSY_RETRY = timedelta(seconds=5)
#: How long a loop waits after an unexpected error (database unreachable...).
ERROR_RETRY = timedelta(seconds=30)


class UnknownJob(LookupError):
    """A run was requested for a (store, job) pair this scheduler does not run."""


def default_holder() -> str:
    """This process's identity in the job locks: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """Runs each store's jobs at their configured intervals (see the module docstring)."""

    def __init__(
        self,
        services: Services,
        jobs: Mapping[str, Job] | None = None,
        *,
        stores: Sequence[str] | None = None,
        clock: Clock | None = None,
        holder: str | None = None,
        busy_retry: timedelta = DEFAULT_BUSY_RETRY,
    ) -> None:
        """Prepare the schedule; nothing runs until `start()` or `run()`.

        Args:
            services: the wired application.
            jobs: the job catalogue (default: `default_jobs()`).
            stores: the stores to run (default: every configured store).
            clock: time source (tests pass a manual clock).
            holder: this runner's identity in the job locks.
            busy_retry: how soon to try again when another runner holds a lock.
        """
        self.services = services
        self.jobs = dict(default_jobs() if jobs is None else jobs)
        self.clock: Clock = clock or SystemClock()
        self.holder = holder or default_holder()
        self.busy_retry = busy_retry
        names = (
            services.store_names() if stores is None else [services.store(s).name for s in stores]
        )
        self.intervals = intervals(services.settings, self.jobs, names)
        self.next_due: dict[JobKey, datetime] = {}
        self.last_start: dict[JobKey, datetime] = {}
        self.running: set[JobKey] = set()
        #: Runs asked for by `request` and not started yet.
        self.requested: set[JobKey] = set()
        self._wake = {key: asyncio.Event() for key in self.intervals}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called."""
        return self._stopping.is_set()

    def start(self) -> asyncio.Task[None]:
        """Run the schedule in a background task (call from a running event loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="storebridge-scheduler")
        return self._task

    async def run(self) -> None:
        """Run every (store, job) loop until `stop()`; returns when the last run finished."""
        instrument(self.services)
        loops = [
            asyncio.create_task(self._loop(key), name=f"storebridge-job:{key}")
            for key in sorted(self.intervals)
        ]
        logger.info("scheduler started: %s", ", ".join(str(k) for k in sorted(self.intervals)))
        try:
            await asyncio.gather(*loops)
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            logger.info("scheduler stopped")

    async def stop(self, grace: float | None = None) -> None:
        """Stop scheduling; wait for runs in flight, cancelling them after `grace` seconds."""
        self._stopping.set()
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=grace)
        except TimeoutError:
            logger.warning("runs still going after %s s: interrupting them", grace)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def interrupt(self) -> None:
        """Stop now: cancel the runs in flight (each is logged as interrupted)."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()

    def request(self, store: str, job: str) -> JobKey:
        """Ask for a run of `job` for `store` now; the job's loop starts it (see the module docstring).

        Raises:
            UnknownJob: this scheduler does not run that job for that store.
        """
        key = JobKey(store, job)
        if key not in self._wake:
            raise UnknownJob(f"this runner does not run {job!r} for store {store!r}")
        self.requested.add(key)
        self._wake[key].set()
        logger.info("%s: run requested", key)
        return key

    async def run_now(self, store: str, job: str) -> Execution:
        """Run one job for one store now, under its lock, whatever its schedule."""
        instrument(self.services)
        return await execute(
            self.services,
            self.jobs[job],
            store,
            holder=self.holder,
            clock=self.clock,
        )

    async def _loop(self, key: JobKey) -> None:
        job = self.jobs[key.job]
        interval = self.intervals[key]
        while not self.stopping:
            try:
                last = latest(
                    last_started(self.services, key.store, key.job), self.last_start.get(key)
                )
                due = due_at(last, interval, self.clock.now())
                self.next_due[key] = due
                wait = wait_seconds(due, self.clock.now())
                if wait > 0 and key not in self.requested:
                    await self._sleep(wait, key)
                    continue  # re-read: another runner may have run it meanwhile
                asked = key in self.requested
                self.requested.discard(key)
                self._wake[key].clear()
                self.running.add(key)
                try:
                    outcome = await execute(
                        self.services,
                        job,
                        key.store,
                        holder=self.holder,
                        clock=self.clock,
                        interval=None if asked else interval,  # a requested run is due now
                        ran_at=self.last_start.get(key),
                    )
                finally:
                    self.running.discard(key)
            except Exception:  # the loop must outlive a database hiccup
                logger.exception("%s: scheduling failed; retrying in %s", key, ERROR_RETRY)
                await self._sleep(ERROR_RETRY.total_seconds())
                continue
            if isinstance(outcome, Ran):
                self.last_start[key] = outcome.started_at
            elif isinstance(outcome, Busy):
                logger.debug("%s: held by %s; retrying soon", key, outcome.holder)
                if asked:
                    self.requested.add(key)  # still wanted once the holder is done
                await self._sleep(self.busy_retry.total_seconds())
            elif isinstance(outcome, NotDue):
                self.next_due[key] = outcome.due

    async def _sleep(self, seconds: float, key: JobKey | None = None) -> None:
        """Sleep `seconds`, or less if `stop()` is called (or a run of `key` requested) meanwhile."""
        if self.stopping:
            return
        waiters = {
            asyncio.ensure_future(self.clock.sleep(seconds)),
            asyncio.ensure_future(self._stopping.wait()),
        }
        if key is not None:
            waiters.add(asyncio.ensure_future(self._wake[key].wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
