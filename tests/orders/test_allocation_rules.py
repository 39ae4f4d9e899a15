"""Allocation: which orders hold stock, when they let go, and what WooCommerce then shows.

Each test runs the real engines against the sandbox and the demo POS: a
products run publishes the POS stock, shoppers order, the merchant changes
statuses, and an allocation cycle (`refresh_and_push`) brings WooCommerce's
stock to ``max(0, on-hand - allocated - safety)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.orders.conftest import STOCK
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.persistence.tables import InventorySnapshot
from storebridge.persistence.types import utcnow
from storebridge.sync.orders.allocation import forget_pushed_stock, forgotten_stock
from storebridge.sync.orders.ledger_view import allocated_for_store


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


@pytest.mark.parametrize("status", ["pending", "processing", "on-hold"])
async def test_an_order_in_an_allocating_status_holds_its_units(shop: Shop, status: str) -> None:
    await shop.sync_products()
    assert shop.woo_stock("MUG-1") == 10
    shop.place([("MUG-1", 2), ("CAP-2", 1)], status=status)
    cycle = await shop.refresh()
    assert allocated(shop) == {"mug-1": 2, "cap-2": 1}
    assert cycle.skus == {"mug-1", "cap-2"}
    assert (shop.woo_stock("MUG-1"), shop.woo_stock("CAP-2")) == (8, 2)


async def test_a_pending_order_that_is_paid_later_is_not_subtracted_twice(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 3)], status="pending")
    await shop.refresh()
    assert shop.woo_stock("MUG-1") == 7  # WooCommerce took nothing yet: we did
    shop.set_status(order["id"], "processing")  # now WooCommerce subtracts 3 itself
    assert shop.woo_stock("MUG-1") == 4
    await shop.refresh()
    assert shop.woo_stock("MUG-1") == 7


@pytest.mark.parametrize("status", ["cancelled", "failed", "refunded"])
async def test_an_order_that_ends_before_export_releases_its_units_at_once(
    shop: Shop, status: str
) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 2)], status="processing")
    await shop.refresh()
    assert shop.woo_stock("MUG-1") == 8
    shop.set_status(order["id"], status)
    await shop.refresh()
    assert allocated(shop) == {}
    # Cancelled restocks in WooCommerce; failed and refunded do not: the push corrects it.
    assert shop.woo_stock("MUG-1") == 10


async def test_a_trashed_order_releases_its_units_at_once(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("BAG-3", 4)], status="on-hold")
    await shop.refresh()
    assert shop.woo_stock("BAG-3") == 6
    await shop.api("DELETE", f"/orders/{order['id']}")
    await shop.refresh()
    assert allocated(shop) == {}
    assert shop.woo_stock("BAG-3") == 10


async def test_a_completed_order_stays_allocated_until_a_later_inventory_read_is_applied(
    shop: Shop,
) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 2)], status="processing")
    await shop.refresh()
    shop.set_status(order["id"], "completed")
    await shop.refresh()
    assert allocated(shop) == {"mug-1": 2}  # completed, not exported yet
    await shop.export()
    export = shop.export_row(order["id"])
    assert export is not None and export.exported_at is not None
    assert shop.pos.on_hand("MUG-1") == {"store-1": 4, "warehouse": 4}
    # A read that started before the POS acknowledged the invoice proves nothing.
    with shop.services.sessions.begin() as session:
        session.add(
            InventorySnapshot(
                store=STORE,
                read_started_at=export.exported_at - timedelta(seconds=1),
                applied_at=utcnow(),
                items=3,
            )
        )
    await shop.refresh()
    assert allocated(shop) == {"mug-1": 2}
    assert shop.woo_stock("MUG-1") == 8  # stored on-hand 10, still held: 2
    await shop.sync_products()  # reads the POS after the export: its on-hand has the sale
    assert allocated(shop) == {}
    assert shop.woo_stock("MUG-1") == 8
    cycle = await shop.refresh()
    assert cycle.released == {order["id"]}
    export = shop.export_row(order["id"])
    assert export is not None and export.released_at is not None


async def test_replaying_an_order_any_number_of_times_never_counts_it_twice(shop: Shop) -> None:
    await shop.sync_products()
    shop.place([("MUG-1", 2)], status="processing")
    for _ in range(3):
        await shop.refresh()
    assert allocated(shop) == {"mug-1": 2}
    assert shop.woo_stock("MUG-1") == 8


@pytest.fixture
def scoped_shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    with make_shop(
        tmp_path,
        _sqlite_template,
        stock=STOCK,
        locations=["store-1", "store-2"],
        safety_stock=1,
        safety_overrides={"bag-3": 3},
    ) as built:
        yield built


async def test_on_hand_sums_the_selected_locations_and_safety_stock_is_held_back(
    scoped_shop: Shop,
) -> None:
    await scoped_shop.sync_products()
    # MUG-1: store-1 6 + store-2 0 (warehouse not selected) - safety 1.
    assert scoped_shop.woo_stock("MUG-1") == 5
    assert scoped_shop.woo_stock("CAP-2") == 2  # 3 - 1
    assert scoped_shop.woo_stock("BAG-3") == 0  # 2 - override 3, never below 0
    scoped_shop.place([("MUG-1", 2)], status="processing")
    await scoped_shop.refresh()
    assert scoped_shop.woo_stock("MUG-1") == 3  # 6 - 2 - 1


async def test_a_forgotten_stock_figure_is_pushed_by_the_next_cycle(shop: Shop) -> None:
    # A refresh inside a products run may forget a figure (WooCommerce moved the stock by
    # itself) that the run's incremental read does not carry; the next cycle sees no new
    # order for it, so it must push it because it was forgotten.
    await shop.sync_products()
    shop.sandbox.products.update(shop.sandbox.products.by_sku("MUG-1")["id"], {"stock_quantity": 3})
    with shop.services.sessions.begin() as session:
        forget_pushed_stock(session, store=STORE, sku_keys={"mug-1"})

    cycle = await shop.refresh()

    assert "mug-1" in cycle.skus
    assert shop.woo_stock("MUG-1") == 10
    with shop.services.sessions() as session:
        assert forgotten_stock(session, STORE) == set()


@pytest.mark.parametrize("incremental", [True, False], ids=["incremental", "full"])
async def test_orders_a_products_run_sees_reach_woocommerce_whatever_the_read(
    tmp_path: Path, _sqlite_template: Path, incremental: bool
) -> None:
    # No cycle runs in between: each products run's ledger refresh is the one that sees the
    # order change, and MUG-1 does not change in the POS, so an incremental read does not
    # carry it. The run must push it itself: no later cycle sees that order change again.
    with make_shop(tmp_path, _sqlite_template, stock=STOCK, incremental=incremental) as shop:
        await shop.sync_products()
        order = shop.place([("MUG-1", 2)], status="pending")  # WooCommerce takes nothing yet

        await shop.sync_products()
        assert shop.woo_stock("MUG-1") == 8

        shop.set_status(order["id"], "cancelled")
        run = await shop.sync_products()
        assert shop.woo_stock("MUG-1") == 10
        assert run.report.counts["updated"] == 1

        cycle = await shop.refresh()
        assert cycle.refresh.changes == []  # the runs' refreshes consumed both changes
        assert shop.woo_stock("MUG-1") == 10


#: Where the process dies: between the ledger refresh's commit and the stock push.
PUSHES = {
    "cycle": "storebridge.sync.orders.stock.push_available",
    "products": "storebridge.sync.catalogue.products.push_available",
}


async def killed_before_the_push(shop: Shop, path: str) -> None:
    """An allocation cycle or products run killed once its refresh has committed."""

    async def killed(*_args: object, **_kwargs: object) -> int:
        raise SystemExit("killed between the ledger refresh and the stock push")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(SystemExit):
        patch.setattr(path, killed)
        if path == PUSHES["cycle"]:
            await shop.refresh()
        else:
            await shop.sync_products()


@pytest.mark.parametrize("recovery", ["cycle", "products"])
@pytest.mark.parametrize("killed", ["cycle", "products"])
async def test_stock_an_order_change_made_due_survives_a_kill_before_its_push(
    tmp_path: Path, _sqlite_template: Path, killed: str, recovery: str
) -> None:
    # The refresh commits the cancellation with its cursor: no later refresh sees it again,
    # and MUG-1 does not change in the POS, so no incremental read carries it either.
    with make_shop(tmp_path, _sqlite_template, stock=STOCK, incremental=True) as shop:
        await shop.sync_products()
        order = shop.place([("MUG-1", 2)], status="pending")  # WooCommerce takes nothing
        await shop.refresh()
        assert shop.woo_stock("MUG-1") == 8
        shop.set_status(order["id"], "cancelled")  # nothing to restock: only we move it

        await killed_before_the_push(shop, PUSHES[killed])
        assert shop.woo_stock("MUG-1") == 8

        if recovery == "cycle":
            assert (await shop.refresh()).refresh.changes == []
        else:
            await shop.sync_products()
        assert shop.woo_stock("MUG-1") == 10
        with shop.services.sessions() as session:
            assert forgotten_stock(session, STORE) == set()
        idle = await shop.refresh()
        assert (idle.skus, idle.pushed) == (set(), 0)
        assert (await shop.sync_products()).report.counts["updated"] == 0


async def test_a_change_that_leaves_the_figure_as_it_was_marks_nothing(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 2)], status="processing")
    await shop.refresh()
    assert shop.woo_stock("MUG-1") == 8
    shop.set_status(order["id"], "on-hold")  # still allocated: the figure stays 8

    await killed_before_the_push(shop, PUSHES["cycle"])

    with shop.services.sessions() as session:
        assert forgotten_stock(session, STORE) == set()
    idle = await shop.refresh()
    assert (idle.skus, idle.pushed) == (set(), 0)
    assert shop.woo_stock("MUG-1") == 8


async def test_stock_a_release_made_due_survives_a_kill_before_its_push(shop: Shop) -> None:
    await shop.sync_products()
    order = shop.place([("MUG-1", 2)], status="completed")
    await shop.refresh()
    await shop.export()
    await shop.refresh()  # the POS has applied the sale: only a later read releases it
    export = shop.export_row(order["id"])
    assert export is not None and export.applied_at is not None
    assert shop.woo_stock("MUG-1") == 8
    # A later read is recorded (by hand here) with the stored on-hand as it was, 10.
    with shop.services.sessions.begin() as session:
        session.add(
            InventorySnapshot(
                store=STORE,
                read_started_at=export.applied_at + timedelta(seconds=1),
                applied_at=utcnow(),
                items=3,
            )
        )

    await killed_before_the_push(shop, PUSHES["cycle"])
    export = shop.export_row(order["id"])
    assert export is not None and export.released_at is not None
    assert shop.woo_stock("MUG-1") == 8

    cycle = await shop.refresh()
    assert cycle.released == set()  # released by the killed cycle: only its mark is left
    assert shop.woo_stock("MUG-1") == 10
    assert (await shop.refresh()).pushed == 0
