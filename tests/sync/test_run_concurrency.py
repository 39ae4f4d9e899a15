"""A run records the batch concurrency its client chose (run report, runs table, CLI text)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.sync.sync_helpers import World, raw

from storebridge.persistence.tables import Run
from storebridge.sync.report import RunReport
from storebridge.woocommerce import ConcurrencyLevel, RequestStats


async def test_a_run_that_sent_batches_records_the_level_its_client_chose(world: World) -> None:
    for n in range(450):
        world.pos.put(raw(f"C-{n:03}", "5.00", 1, line=n + 1))

    run = await world.sync()

    level = run.report.concurrency
    maximum = world.services.settings.store(run.report.store).woocommerce.max_concurrency
    assert level is not None and level.batches == 5
    assert level.maximum == maximum
    assert 1 <= level.current <= level.peak <= maximum
    with world.services.sessions() as session:
        row = session.get(Run, run.report.run_id)
    assert row is not None
    assert row.counts["concurrency"] == level.current
    assert row.counts["concurrency_peak"] == level.peak
    assert row.counts["concurrency_max"] == maximum


async def test_a_run_without_batches_records_no_level(world: World) -> None:
    world.pos.put(raw("D-1"))
    await world.sync()
    await world.sync()

    run = await world.sync()  # idle: nothing to write

    assert run.report.concurrency is None
    assert run.report.concurrency_text == "no batches"
    assert "concurrency" not in run.report.summary_counts()


def test_the_report_shows_the_level_peak_and_maximum() -> None:
    report = RunReport("main", "products", started_at=datetime.now(UTC))
    snapshot = RequestStats().snapshot()

    report.add_requests(snapshot, ConcurrencyLevel(current=3, peak=4, maximum=8, batches=20))

    assert report.concurrency_text == "3 (peak 4 of 8)"
    assert report.summary_counts()["concurrency_peak"] == 4
    unused = RunReport("main", "stock", started_at=datetime.now(UTC))
    unused.add_requests(snapshot, ConcurrencyLevel(current=2, peak=2, maximum=8, batches=0))
    assert unused.concurrency is None


async def test_a_run_starts_where_the_stores_last_run_that_sent_batches_ended(
    world: World,
) -> None:
    for n in range(3):
        world.pos.put(raw(f"E-{n}", "5.00", 1, line=n + 1))
    first = await world.sync()
    maximum = world.services.settings.store(first.report.store).woocommerce.max_concurrency
    learnt = 3  # a level the client would not start at (half the maximum)
    assert maximum >= learnt != maximum // 2
    with world.services.sessions.begin() as session:
        row = session.get(Run, first.report.run_id)
        assert row is not None
        row.counts = {**row.counts, "concurrency": learnt}
    world.pos.put(raw("E-0", "6.00", 1, line=1))

    run = await world.sync()  # one batch, alone below the limit: it raises nothing

    level = run.report.concurrency
    assert level is not None and level.batches == 1
    assert level.current == level.peak == learnt
