"""Asking for a run now: the scheduler's loop runs it at once; the workers' queue takes it once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from procrastinate.testing import InMemoryConnector
from tests.runner.runner_support import (
    ManualClock,
    ScriptedJob,
    copied_sqlite_services,
    run_rows,
    runner_settings,
    settle,
)

from storebridge.bootstrap import Services, build_services
from storebridge.cli.run import queue_trigger
from storebridge.runner.distributed import DistributedRunner
from storebridge.runner.scheduler import Scheduler
from storebridge.runner.triggers import CannotTrigger, QueueTrigger, SchedulerTrigger


@pytest.fixture
def sqlite_services(tmp_path: Path, _sqlite_template: Path) -> Iterator[Services]:
    with copied_sqlite_services(_sqlite_template, tmp_path, {"products": 600}) as services:
        yield services


async def test_a_requested_run_starts_at_once_whatever_the_interval(
    sqlite_services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock)
    scheduler = Scheduler(sqlite_services, {"products": job.job()}, stores=["main"], clock=clock)
    trigger = SchedulerTrigger(scheduler)
    scheduler.start()
    await asyncio.wait_for(job.started.get(), 5)  # the first run: never ran, so due at once
    await settle()
    await clock.advance(10)  # 590 s before the next scheduled run

    said = await trigger.trigger("main", "products")
    await asyncio.wait_for(job.started.get(), 5)
    await settle()
    await scheduler.stop()

    assert said == "a products run of main starts now"
    first, second = (at for _, at in job.calls)
    assert first is not None and second is not None
    assert (second - first).total_seconds() == 10  # not the 600 s interval
    assert [row.outcome for row in run_rows(sqlite_services)] == ["ok", "ok"]
    assert scheduler.requested == set()


async def test_a_run_requested_while_the_job_runs_follows_it(
    sqlite_services: Services, clock: ManualClock
) -> None:
    gate = asyncio.Event()
    job = ScriptedJob(clock=clock, gate=gate)
    scheduler = Scheduler(sqlite_services, {"products": job.job()}, stores=["main"], clock=clock)
    trigger = SchedulerTrigger(scheduler)
    scheduler.start()
    await asyncio.wait_for(job.started.get(), 5)
    await settle()

    said = await trigger.trigger("main", "products")
    gate.set()
    await asyncio.wait_for(job.started.get(), 5)
    await settle()
    await scheduler.stop()

    assert said == "the products run of main in progress is followed by another one"
    assert len(run_rows(sqlite_services)) == 2
    assert job.max_active == 1


async def test_the_scheduler_refuses_a_job_it_does_not_run(
    sqlite_services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock)
    scheduler = Scheduler(sqlite_services, {"products": job.job()}, stores=["main"], clock=clock)

    with pytest.raises(CannotTrigger, match="does not run 'export'"):
        await SchedulerTrigger(scheduler).trigger("main", "export")
    with pytest.raises(CannotTrigger, match="store 'outlet'"):
        await SchedulerTrigger(scheduler).trigger("outlet", "products")


async def test_the_queue_takes_a_requested_job_once_with_its_store_lock(
    sqlite_services: Services, clock: ManualClock
) -> None:
    connector = InMemoryConnector()
    job = ScriptedJob(clock=clock)
    trigger = QueueTrigger(
        DistributedRunner(sqlite_services, connector, {"products": job.job()}, clock=clock)
    )

    async with trigger.opened():
        first = await trigger.trigger("main", "products")
        again = await trigger.trigger("main", "products")
        with pytest.raises(CannotTrigger, match="do not run 'export'"):
            await trigger.trigger("main", "export")

    assert first == "a products run of main is queued for the workers"
    assert again == "a products run of main is already waiting for a worker"
    [queued] = connector.jobs.values()
    assert queued["args"] == {"store": "main", "job": "products"}
    assert queued["lock"] == "store:main"
    assert job.calls == []  # queued, not run by the caller


def test_a_dashboard_without_scheduler_queues_for_the_workers_on_postgresql_only(
    sqlite_services: Services, tmp_path: Path
) -> None:
    settings = runner_settings("postgresql+psycopg://sb@db.invalid/sb", tmp_path, ("main",))

    with build_services(settings) as on_postgresql:  # nothing connects until a job is queued
        assert isinstance(queue_trigger(on_postgresql), QueueTrigger)
    assert queue_trigger(sqlite_services) is None
