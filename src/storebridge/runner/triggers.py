"""Asking for a job to run now, from outside the runner (the dashboard's "Sync now").

The dashboard never runs a job inside a request: a sync can take minutes and
must hold the store's job lock and write the run log like any scheduled run.
A `JobTrigger` hands the request to whatever runs the jobs:

* `SchedulerTrigger`: the embedded scheduler of `storebridge run`
  (`Scheduler.request` wakes the job's loop, which runs it at once);
* `QueueTrigger`: the procrastinate queue of `storebridge worker`
  (`DistributedRunner.defer`), for `storebridge run --no-scheduler` on
  PostgreSQL; a job already waiting is not queued twice.

Either answers with a sentence for the person who asked, or raises
`CannotTrigger` saying why it cannot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from procrastinate.exceptions import ConnectorException

from storebridge.runner.distributed import DistributedRunner
from storebridge.runner.scheduler import Scheduler, UnknownJob

__all__ = ["CannotTrigger", "JobTrigger", "QueueTrigger", "SchedulerTrigger"]


class CannotTrigger(Exception):
    """The run cannot be asked for: unknown job or store, or the queue is unreachable."""


class JobTrigger(Protocol):
    """Something that can start a store's job soon, outside the caller."""

    def opened(self) -> AbstractAsyncContextManager[None]:
        """Hold what `trigger` needs (a queue connection) for the app's lifetime."""
        ...

    async def trigger(self, store: str, job: str) -> str:
        """Ask for a run of `job` for `store`; returns what will happen, as a sentence.

        Raises:
            CannotTrigger: the runner does not run that job for that store, or
                cannot be reached.
        """
        ...


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


class SchedulerTrigger:
    """Wakes a job of the embedded scheduler (which the web app's lifespan runs)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    def opened(self) -> AbstractAsyncContextManager[None]:
        return _nothing()

    async def trigger(self, store: str, job: str) -> str:
        try:
            key = self.scheduler.request(store, job)
        except UnknownJob as error:
            raise CannotTrigger(str(error)) from None
        if key in self.scheduler.running:
            return f"the {job} run of {store} in progress is followed by another one"
        return f"a {job} run of {store} starts now"


class QueueTrigger:
    """Queues a job for the distributed workers."""

    def __init__(self, runner: DistributedRunner) -> None:
        self.runner = runner

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[None]:
        async with self.runner.app.open_async():
            yield

    async def trigger(self, store: str, job: str) -> str:
        if job not in self.runner.jobs or store not in self.runner.services.stores:
            raise CannotTrigger(f"the workers do not run {job!r} for store {store!r}")
        try:
            queued = await self.runner.defer(store, job)
        except ConnectorException as error:
            raise CannotTrigger(
                f"the workers' queue did not take the job ({error}): is a "
                "`storebridge worker` set up on this database?"
            ) from None
        if queued is None:
            return f"a {job} run of {store} is already waiting for a worker"
        return f"a {job} run of {store} is queued for the workers"
