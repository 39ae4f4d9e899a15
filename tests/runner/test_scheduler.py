"""The embedded scheduler: intervals, run log, mutual exclusion, graceful shutdown."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from tests.runner.runner_support import ManualClock, ScriptedJob, run_rows, settle

from storebridge.bootstrap import Services
from storebridge.persistence.repositories import locks, runs
from storebridge.runner.execution import INTERRUPTED, ORPHANED, Busy, Ran
from storebridge.runner.scheduler import Scheduler


async def _wait_started(job: ScriptedJob, count: int) -> list[str]:
    return [await asyncio.wait_for(job.started.get(), 5) for _ in range(count)]


async def test_each_store_runs_its_job_and_the_run_log_records_outcome_and_counts(
    services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock)
    scheduler = Scheduler(services, {"products": job.job()}, clock=clock)
    scheduler.start()
    assert sorted(await _wait_started(job, 2)) == ["main", "outlet"]
    await settle()
    await scheduler.stop()

    rows = run_rows(services)
    assert sorted(r.store for r in rows) == ["main", "outlet"]
    for row in rows:
        assert row.job == "products"
        assert row.outcome == "ok"
        assert row.error is None
        assert row.finished_at is not None and row.finished_at >= row.started_at
        assert row.counts == {"updated": 3, "api_requests": 0, "api_errors": 0}


async def test_a_job_starts_again_only_once_its_interval_has_passed(
    services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock)
    scheduler = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock)
    scheduler.start()
    await _wait_started(job, 1)
    await settle()
    for _ in range(5):
        await clock.advance(30)  # 150 s in steps: two more runs at most, 60 s apart
    await scheduler.stop()

    starts = [at for _, at in job.calls if at is not None]
    assert len(starts) >= 2
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= timedelta(seconds=60) for gap in gaps)
    assert len(run_rows(services)) == len(starts)


async def test_a_failing_job_is_logged_as_failed_with_its_error_and_scheduling_goes_on(
    services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock, fail_with=RuntimeError("the POS exploded"))
    scheduler = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock)
    scheduler.start()
    await _wait_started(job, 1)
    await settle()
    await clock.advance(60)
    await _wait_started(job, 1)
    await settle()
    await scheduler.stop()

    rows = run_rows(services)
    assert len(rows) == 2
    for row in rows:
        assert row.outcome == "failed"
        assert row.error == "internal error: RuntimeError: the POS exploded"


async def test_two_schedulers_on_one_database_never_run_a_store_job_twice_at_once(
    services: Services, second_services: Services, clock: ManualClock
) -> None:
    gate = asyncio.Event()
    job = ScriptedJob(clock=clock, gate=gate)
    first = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock, holder="a")
    second = Scheduler(
        second_services, {"products": job.job()}, stores=["main"], clock=clock, holder="b"
    )
    first.start()
    second.start()
    await _wait_started(job, 1)
    for _ in range(4):
        await clock.advance(5)  # the loser retries while the winner still runs
    assert len(job.calls) == 1
    gate.set()
    await settle()
    await clock.advance(5)  # the loser gets the lock, sees the fresh run and waits
    assert len(job.calls) == 1
    await clock.advance(60)
    await _wait_started(job, 1)
    await settle()
    await asyncio.gather(first.stop(), second.stop())

    assert job.max_active == 1
    assert len(job.calls) == 2
    assert [r.outcome for r in run_rows(services)] == ["ok", "ok"]


async def test_jobs_sharing_a_lock_group_exclude_each_other_for_one_store(
    services: Services, clock: ManualClock
) -> None:
    gate = asyncio.Event()
    products = ScriptedJob("products", clock=clock, gate=gate)
    reconcile = ScriptedJob("reconcile", clock=clock)
    scheduler = Scheduler(
        services,
        {"products": products.job(lock="catalog"), "reconcile": reconcile.job(lock="catalog")},
        stores=["main"],
        clock=clock,
    )
    held = await asyncio.gather(
        scheduler.run_now("main", "products"), _busy_after_start(scheduler, products)
    )
    assert isinstance(held[1], Busy)
    assert reconcile.calls == []
    assert isinstance(held[0], Ran)
    assert isinstance(await scheduler.run_now("main", "reconcile"), Ran)


async def _busy_after_start(scheduler: Scheduler, running: ScriptedJob) -> object:
    await asyncio.wait_for(running.started.get(), 5)
    outcome = await scheduler.run_now("main", "reconcile")
    assert running.gate is not None
    running.gate.set()
    return outcome


async def test_the_row_of_a_dead_holder_is_overwritten_and_its_run_closed(
    services: Services, clock: ManualClock
) -> None:
    with services.sessions.begin() as session:
        runs.start_run(session, store="main", job="products", now=clock.now())
        # What a process killed while running leaves: its row, but no lock.
        locks.record_holder(
            session, store="main", job="products", holder="dead-host:1", now=clock.now()
        )
    job = ScriptedJob(clock=clock)
    scheduler = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock)

    outcome = await scheduler.run_now("main", "products")

    assert isinstance(outcome, Ran) and outcome.outcome == "ok"
    orphan, fresh = run_rows(services)
    assert (orphan.outcome, orphan.error) == ("failed", ORPHANED)
    assert fresh.outcome == "ok"
    with services.sessions() as session:
        assert locks.current_holder(session, store="main", job="products") is None


async def test_a_live_lock_makes_the_run_wait_and_nothing_is_logged(
    services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock)
    scheduler = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock)

    with locks.job_lock(
        services.sessions, store="main", job="products", holder="other-host:7"
    ) as held:
        assert held
        outcome = await scheduler.run_now("main", "products")

    assert outcome == Busy("other-host:7")
    assert job.calls == []
    assert run_rows(services) == []


async def test_stop_lets_the_run_in_flight_finish_and_schedules_nothing_after(
    services: Services, clock: ManualClock
) -> None:
    gate = asyncio.Event()
    job = ScriptedJob(clock=clock, gate=gate)
    scheduler = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock)
    task = scheduler.start()
    await _wait_started(job, 1)

    stopping = asyncio.create_task(scheduler.stop())
    await settle()
    assert not stopping.done() and not task.done()
    assert run_rows(services)[0].outcome == "running"
    gate.set()
    await asyncio.wait_for(stopping, 5)
    await clock.advance(600)

    assert task.done()
    assert job.finished == ["main"]
    assert len(job.calls) == 1
    (row,) = run_rows(services)
    assert row.outcome == "ok"
    assert row.finished_at is not None


async def test_a_run_outlasting_the_grace_period_is_interrupted_and_logged_as_such(
    services: Services, clock: ManualClock
) -> None:
    job = ScriptedJob(clock=clock, gate=asyncio.Event())
    scheduler = Scheduler(services, {"products": job.job()}, stores=["main"], clock=clock)
    task = scheduler.start()
    await _wait_started(job, 1)

    await scheduler.stop(grace=0)

    assert task.done()
    assert job.finished == []
    (row,) = run_rows(services)
    assert (row.outcome, row.error) == ("failed", INTERRUPTED)
    with services.sessions() as session:
        assert locks.current_holder(session, store="main", job="products") is None
