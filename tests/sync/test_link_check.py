"""The pre-write link check: an edited SKU or a trashed product never receives a write.

Each test lets the merchant change WooCommerce, changes the POS, and runs the
engine once: the sandbox must have received no write at all for the lost
product (its stored document is untouched and the write counter has not
moved), and the link is reported broken or deleted on that same run.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.sync.sync_helpers import IDLE, STORE, World, make_world, money, raw
from tests.sync.test_variable_products import variant

from storebridge.persistence.repositories import cursors as cursor_repo
from storebridge.sandbox.clock import ManualClock
from storebridge.sync.catalogue.link_check import CHANGES_STREAM, SEAL_MARGIN
from storebridge.sync.catalogue.products import plan_products
from storebridge.sync.orders.allocation import forget_pushed_stock
from storebridge.sync.orders.stock import push_stock


async def test_an_edited_sku_gets_no_write_and_is_reported_broken_on_the_first_run(
    world: World,
) -> None:
    world.pos.put(raw("E-1", "5.00", 3))
    await world.sync()
    product_id = world.by_sku("E-1")["id"]
    await world.api("PUT", f"/products/{product_id}", json={"sku": "E-1-EDITED"})
    before = world.by_sku("E-1-EDITED")
    writes = world.writes()
    world.pos.change("E-1", regular_price="6.00", on_hand={"shop": 9})

    run = await world.sync()

    assert world.writes() == writes
    assert world.by_sku("E-1-EDITED") == before
    assert money(before, "regular_price") == Decimal("5.00")
    assert [(p.sku, p.kind) for p in run.report.problems] == [("E-1", "broken")]
    assert "E-1-EDITED" in run.report.problems[0].detail
    assert world.links()["e-1"].state == "broken"


async def test_a_trashed_product_gets_no_write_and_is_reported_deleted_on_the_first_run(
    world: World,
) -> None:
    world.pos.put(raw("T-1", "5.00", 3))
    world.pos.put(raw("OK-1", "5.00", 3, line=2))
    await world.sync()
    trashed_id = world.by_sku("T-1")["id"]
    await world.api("DELETE", f"/products/{trashed_id}")
    before = world.by_sku("T-1")
    world.pos.change("T-1", regular_price="6.00")
    world.pos.change("OK-1", regular_price="7.00")

    run = await world.sync()

    assert world.by_sku("T-1") == before  # the other product's batch did not carry it
    assert money(world.by_sku("OK-1"), "regular_price") == Decimal("7.00")
    assert [(p.sku, p.kind) for p in run.report.problems] == [("T-1", "deleted")]
    assert world.links()["t-1"].state == "deleted"


async def test_a_variation_whose_sku_was_edited_gets_no_write(world: World) -> None:
    world.pos.put(variant("V-S", "V", "S", "20.00", 3))
    world.pos.put(variant("V-M", "V", "M", "20.00", 3))
    await world.sync()
    parent_id = world.by_sku("V")["id"]
    small_id = world.by_sku("V-S")["id"]
    await world.api("PUT", f"/products/{parent_id}/variations/{small_id}", json={"sku": "V-X"})
    before = world.by_sku("V-X")
    world.pos.change("V-S", regular_price="25.00")
    world.pos.change("V-M", regular_price="26.00")

    run = await world.sync()

    assert world.by_sku("V-X") == before
    assert money(world.by_sku("V-M"), "regular_price") == Decimal("26.00")
    assert [(p.sku, p.kind) for p in run.report.problems] == [("V-S", "broken")]
    assert world.links()["v-s"].state == "broken"


async def test_a_stock_push_checks_links_before_it_writes(world: World) -> None:
    world.pos.put(raw("P-1", "5.00", 3))
    await world.sync()
    product_id = world.by_sku("P-1")["id"]
    await world.api("PUT", f"/products/{product_id}", json={"sku": "P-1-EDITED"})
    with world.services.sessions.begin() as session:  # make the push send its figure again
        forget_pushed_stock(session, store=STORE, sku_keys={"p-1"})
    writes = world.writes()

    report = await push_stock(world.services, STORE, {"P-1"})

    assert world.writes() == writes
    assert [(p.sku, p.kind) for p in report.problems] == [("P-1", "broken")]
    assert world.links()["p-1"].state == "broken"


async def test_an_idle_run_costs_one_listing_and_moves_nothing(world: World) -> None:
    world.pos.put(raw("I-1", "5.00", 3))
    await world.sync()
    await world.sync()  # reads back the product the first run created

    idle = await world.sync()

    assert idle.report.requests == {"GET /products": 1}
    assert idle.report.problems == []


async def test_a_dry_run_skips_a_lost_link_but_stores_nothing(world: World) -> None:
    world.pos.put(raw("D-1", "5.00", 3))
    await world.sync()
    product_id = world.by_sku("D-1")["id"]
    with world.services.sessions.begin() as session:
        cursor = cursor_repo.get_cursor(session, store=STORE, stream=CHANGES_STREAM)
    await world.api("PUT", f"/products/{product_id}", json={"sku": "D-1-EDITED"})
    world.pos.change("D-1", regular_price="6.00")

    planned = await plan_products(world.services, STORE)

    assert planned.plan is not None and planned.plan.updates == ()
    assert [(p.sku, p.kind) for p in planned.report.problems] == [("D-1", "broken")]
    assert world.links()["d-1"].state == "linked"
    with world.services.sessions.begin() as session:
        assert cursor_repo.get_cursor(session, store=STORE, stream=CHANGES_STREAM) == cursor


async def test_a_crowded_second_is_sealed_once_the_server_clock_has_left_it(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 12, tzinfo=UTC))
    with make_world(tmp_path, _sqlite_template, clock=clock) as world:
        for n in range(150):  # one second holds more than a page of products
            world.pos.put(raw(f"C-{n:03}", "5.00", 3, line=n + 1))
        await world.sync()
        await world.sync()  # reads the 150 back

        # The server's clock has not left that second: more may still be stamped in it.
        assert (await world.sync()).report.requests == {"GET /products": 3}
        clock.advance(1 + SEAL_MARGIN.total_seconds())
        sealing = await world.sync()
        idle = await world.sync()

    assert sealing.report.requests == {"GET /products": 3}
    assert idle.report.requests == IDLE


class BatchClock:
    """The sandbox's clock moving one second every `per_second` readings: a fast store
    stamping a few hundred products in each second (ties in one second: sandbox order)."""

    def __init__(self, start: datetime, per_second: int) -> None:
        self.start, self.per_second, self.readings = start, per_second, 0
        self.paused: datetime | None = None

    def __call__(self) -> datetime:
        if self.paused is not None:
            return self.paused
        self.readings += 1
        return self.start + timedelta(seconds=self.readings // self.per_second)

    def pause(self, after: timedelta) -> None:
        """Stop moving, `after` past the current second."""
        self.paused = self.__call__() + after


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "within-the-margin"])
async def test_reading_back_a_big_first_sync_costs_about_one_request_per_page(
    tmp_path: Path, _sqlite_template: Path, sealed: bool
) -> None:
    clock = BatchClock(datetime(2026, 12, 1, 12, tzinfo=UTC), per_second=700)
    items = 1_000
    with make_world(tmp_path, _sqlite_template, clock=clock) as world:
        for n in range(items):
            world.pos.put(raw(f"B-{n:04}", "5.00", 3, line=n + 1))
        await world.sync()
        # Sealed: the read-back starts after the seal margin; else right after the writes.
        clock.pause(SEAL_MARGIN + timedelta(seconds=1) if sealed else timedelta(0))
        seconds = Counter(doc["date_modified"] for doc in world.docs())

        read_back = await world.sync()
        idle = await world.sync()

    assert sum(1 for count in seconds.values() if count > 100) >= 2  # crowded seconds
    pages = math.ceil(items / 100)
    requests = read_back.report.requests["GET /products"]
    # Below the horizon: full pages, one that reaches it, one beyond (the unsealed seconds:
    # per crowded second, one page that shows it crowded, a drain to its end, one beyond).
    assert requests <= pages + 2 + (0 if sealed else 3 * len(seconds))
    assert read_back.report.writes == 0
    assert idle.report.requests == IDLE
