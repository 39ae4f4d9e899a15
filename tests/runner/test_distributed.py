"""Distributed workers: procrastinate tasks with one lock per store and no duplicate queueing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import make_url
from tests.runner.runner_support import (
    ManualClock,
    ScriptedJob,
    copied_sqlite_services,
    run_rows,
    runner_settings,
    settle,
)

from storebridge.bootstrap import Services, build_services
from storebridge.errors import ConfigError
from storebridge.persistence.db import upgrade
from storebridge.runner.distributed import (
    FETCH_POLL_S,
    QUEUE,
    TASK_NAME,
    DistributedRunner,
    connector_for,
    ensure_schema,
)
from storebridge.runner.jobs import Job, JobResult
from storebridge.runner.schedule import MIN_TICK_S, JobKey, next_tick_s


@pytest.fixture
def sqlite_services(tmp_path: Path, _sqlite_template: Path) -> Iterator[Services]:
    with copied_sqlite_services(_sqlite_template, tmp_path) as services:
        yield services


async def test_a_job_is_queued_with_its_store_lock_and_never_twice_while_waiting(
    sqlite_services: Services, clock: ManualClock
) -> None:
    connector = InMemoryConnector()
    job = ScriptedJob(clock=clock)
    runner = DistributedRunner(sqlite_services, connector, {"products": job.job()}, clock=clock)

    async with runner.app.open_async():
        first = await runner.defer("main", "products")
        again = await runner.defer("main", "products")
        other = await runner.defer("outlet", "products")

    assert first is not None and other is not None and again is None
    queued = {row["id"]: row for row in connector.jobs.values()}
    assert queued[first]["task_name"] == TASK_NAME
    assert queued[first]["lock"] == "store:main"
    assert queued[first]["queueing_lock"] == "main:products"
    assert queued[other]["lock"] == "store:outlet"
    assert queued[first]["args"] == {"store": "main", "job": "products"}


async def test_a_worker_runs_the_queued_jobs_and_logs_each_run(
    sqlite_services: Services, clock: ManualClock
) -> None:
    connector = InMemoryConnector()
    job = ScriptedJob(clock=clock)
    runner = DistributedRunner(sqlite_services, connector, {"products": job.job()}, clock=clock)

    async with runner.app.open_async():
        queued = await runner.defer_due()
        await runner.work(wait=False)
        again = await runner.defer_due()

    assert queued == [JobKey("main", "products"), JobKey("outlet", "products")]
    assert sorted(store for store, _ in job.calls) == ["main", "outlet"]
    assert again == []  # both ran just now: nothing is due
    assert [(r.store, r.outcome) for r in run_rows(sqlite_services)] == [
        ("main", "ok"),
        ("outlet", "ok"),
    ]
    assert {row["status"] for row in connector.jobs.values()} == {"succeeded"}


def test_workers_need_postgresql_storage() -> None:
    with pytest.raises(ConfigError, match="need PostgreSQL storage"):
        connector_for(make_url("sqlite:///var/x.sqlite3"))


@pytest.mark.postgres
async def test_on_postgresql_a_deferred_job_runs_and_a_store_never_runs_two_jobs_at_once(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    settings = runner_settings(postgres_url, tmp_path, ("main",))
    active: dict[str, int] = {"main": 0}
    peak: list[int] = []

    async def body(_services: Services, store: str) -> JobResult:
        active[store] += 1
        peak.append(active[store])
        await asyncio.sleep(0.05)  # give a second worker slot the chance to overlap
        active[store] -= 1
        return JobResult(counts={"seen": 1})

    jobs = {name: Job(name, body) for name in ("products", "export", "reconcile")}
    with build_services(settings) as services:
        runner = DistributedRunner(
            services, connector_for(services.settings.storage.sqlalchemy_url), jobs
        )
        async with runner.app.open_async():
            assert await ensure_schema(runner.app) is True
            assert await ensure_schema(runner.app) is False
            for name in jobs:
                assert await runner.defer("main", name) is not None
            for _ in range(len(jobs)):
                # wait=False returns when nothing is fetchable; the store lock holds the rest back.
                await runner.work(wait=False, concurrency=3)
            statuses = await runner.app.connector.execute_query_all_async(
                "SELECT status::text AS status, lock FROM procrastinate_jobs"
            )
        rows = run_rows(services)

    assert sorted(r.job for r in rows) == ["export", "products", "reconcile"]
    assert all(r.outcome == "ok" and r.counts["seen"] == 1 for r in rows)
    assert max(peak) == 1
    assert {(s["status"], s["lock"]) for s in statuses} == {("succeeded", "store:main")}


async def test_a_job_cut_short_by_a_dead_worker_is_queued_again_and_frees_its_store(
    sqlite_services: Services, clock: ManualClock
) -> None:
    connector = InMemoryConnector()
    job = ScriptedJob(clock=clock)
    runner = DistributedRunner(sqlite_services, connector, {"products": job.job()}, clock=clock)

    async with runner.app.open_async():
        await runner.defer("main", "products")
        # A worker takes the job, then is SIGKILLed: no heartbeat, the job stays "doing".
        dead = (await connector.register_worker_one())["worker_id"]
        taken = await connector.fetch_job_one(queues=[QUEUE], worker_id=dead)
        del connector.workers[dead]
        await runner.work(wait=False)
        assert job.calls == []  # the store's lock is held by the dead worker's job
        await runner.tick()
        await runner.work(wait=False)

    assert "main" in [store for store, _ in job.calls]
    assert connector.jobs[taken["id"]]["status"] == "succeeded"


@pytest.mark.postgres
async def test_on_postgresql_a_dead_workers_job_frees_its_store_even_when_a_copy_waits(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    settings = runner_settings(postgres_url, tmp_path, ("main",))
    ran: list[str] = []

    async def body(_services: Services, store: str) -> JobResult:
        ran.append(store)
        return JobResult()

    with build_services(settings) as services:
        connector = connector_for(services.settings.storage.sqlalchemy_url)
        runner = DistributedRunner(services, connector, {"export": Job("export", body)})
        async with runner.app.open_async():
            await ensure_schema(runner.app)
            await runner.defer("main", "export")
            # A worker takes it and is SIGKILLed; then the next tick queues the job again,
            # so the queueing lock refuses a plain retry of the stalled one.
            await connector.execute_query_async(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL"
            )
            assert await runner.defer("main", "export") is not None
            await runner.tick()
            await runner.work(wait=False)
            statuses = await connector.execute_query_all_async(
                "SELECT status::text AS status FROM procrastinate_jobs ORDER BY id"
            )

    assert ran == ["main"]
    assert [s["status"] for s in statuses] == ["failed", "succeeded"]


@pytest.fixture
def fifty_second_services(tmp_path: Path, _sqlite_template: Path) -> Iterator[Services]:
    with copied_sqlite_services(_sqlite_template, tmp_path, {"products": 50}) as services:
        yield services


async def test_the_schedule_reads_every_last_start_and_names_the_next_job_to_fall_due(
    fifty_second_services: Services, clock: ManualClock
) -> None:
    connector = InMemoryConnector()
    job = ScriptedJob(clock=clock)
    runner = DistributedRunner(
        fifty_second_services, connector, {"products": job.job()}, clock=clock
    )
    start = clock.now()
    async with runner.app.open_async():
        await runner.defer("main", "products")
        await runner.work(wait=False)  # main ran at `start`; outlet never ran

    schedule = runner.schedule(start + timedelta(seconds=10))
    assert schedule.due == [JobKey("outlet", "products")]
    assert schedule.upcoming == start + timedelta(seconds=50)
    later = runner.schedule(start + timedelta(seconds=50))
    assert later.due == [JobKey("main", "products"), JobKey("outlet", "products")]
    assert later.upcoming is None


async def test_the_ticker_wakes_when_a_job_falls_due_not_at_the_next_fixed_tick(
    fifty_second_services: Services, clock: ManualClock
) -> None:
    connector = InMemoryConnector()
    job = ScriptedJob(clock=clock)
    runner = DistributedRunner(
        fifty_second_services, connector, {"products": job.job()}, clock=clock
    )

    def waiting() -> list[str]:
        return sorted(r["args"]["store"] for r in connector.jobs.values() if r["status"] == "todo")

    async with runner.app.open_async():
        await runner.defer_due()
        await runner.work(wait=False)  # both stores ran: due again 50 s from now
        ticker = asyncio.create_task(runner.tick_forever(30.0))
        try:
            await settle_threads()
            await clock.advance(30)  # the longest pause: a look, nothing due yet
            await settle_threads()
            assert waiting() == []
            await clock.advance(19)
            await settle_threads()
            assert waiting() == []
            # A fixed 30 s tick would queue them at 60 s; the ticker woke at 50 s.
            await clock.advance(1)
            await settle_threads()
            assert waiting() == ["main", "outlet"]
        finally:
            ticker.cancel()
            with pytest.raises(asyncio.CancelledError):
                await ticker


async def settle_threads() -> None:
    """Let the ticker's off-loop run-log read finish and its task go on."""
    for _ in range(5):
        await asyncio.sleep(0.05)
        await settle()


def test_the_next_look_is_when_the_next_job_falls_due_within_bounds() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert next_tick_s(now + timedelta(seconds=7), now, 30.0) == 7.0
    assert next_tick_s(now + timedelta(seconds=300), now, 30.0) == 30.0
    assert next_tick_s(now + timedelta(milliseconds=10), now, 30.0) == MIN_TICK_S
    assert next_tick_s(now - timedelta(seconds=5), now, 30.0) == MIN_TICK_S


async def test_a_worker_polls_every_second_for_jobs_a_store_lock_held_back(
    sqlite_services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = DistributedRunner(sqlite_services, InMemoryConnector(), clock=clock)
    seen: dict[str, object] = {}

    async def capture(**options: object) -> None:
        seen.update(options)

    monkeypatch.setattr(runner.app, "run_worker_async", capture)
    await runner.work(wait=False, concurrency=8)

    # procrastinate's own 5 s poll would start such a job up to 5 s after its store freed.
    assert seen["fetch_job_polling_interval"] == FETCH_POLL_S == 1.0
    assert seen["concurrency"] == 8 and seen["queues"] == [QUEUE]
