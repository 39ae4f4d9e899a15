"""push_stock: republishing available quantities from stored on-hand and the ledger."""

from __future__ import annotations

from sqlalchemy import select
from tests.sync.ledger_rows import add_order
from tests.sync.sync_helpers import STORE, World, raw

from storebridge.persistence.tables import StockHistory
from storebridge.sync.orders.stock import push_stock


async def test_an_order_in_the_ledger_lowers_the_published_stock_of_its_skus(
    world: World,
) -> None:
    world.pos.put(raw("A", "10.00", 5))
    world.pos.put(raw("B", "10.00", 5, line=2))
    await world.sync()
    with world.services.sessions.begin() as session:
        add_order(session, 1, "processing", {"a": 2, "b": 9})

    report = await push_stock(world.services, STORE, {"A"})

    assert report.outcome == "ok"
    assert report.requests == {"GET /products": 1, "POST /products/batch": 1}
    assert world.by_sku("A")["stock_quantity"] == 3
    assert world.by_sku("B")["stock_quantity"] == 5  # not asked for
    assert world.links()["a"].pushed_stock == 3
    with world.services.sessions() as session:
        history = session.scalars(
            select(StockHistory).where(StockHistory.reason.like("stock push%"))
        ).one()
    assert (history.sku_key, history.on_hand, history.allocated, history.available) == (
        "a",
        5,
        2,
        3,
    )


async def test_all_skus_are_checked_when_none_are_named_and_only_changes_are_sent(
    world: World,
) -> None:
    for n in range(5):
        world.pos.put(raw(f"S-{n}", "10.00", 4, line=n + 1))
    await world.sync()
    with world.services.sessions.begin() as session:
        add_order(session, 1, "on-hold", {"s-3": 10})

    report = await push_stock(world.services, STORE)

    assert report.counts["checked"] == 5 and report.counts["updated"] == 1
    assert world.by_sku("S-3")["stock_quantity"] == 0
    assert (await push_stock(world.services, STORE)).requests == {"GET /products": 1}


async def test_a_delisted_product_keeps_its_zero(world: World) -> None:
    world.pos.put(raw("GONE", "10.00", 5))
    await world.sync()
    world.pos.change("GONE", web_flag=False)
    await world.sync()

    report = await push_stock(world.services, STORE, {"gone"})

    assert report.writes == 0
    assert world.by_sku("GONE")["stock_quantity"] == 0


async def test_the_next_products_run_agrees_with_a_stock_push(world: World) -> None:
    world.pos.put(raw("AG", "10.00", 5))
    await world.sync()
    with world.services.sessions.begin() as session:
        add_order(session, 1, "pending", {"ag": 1})
    await push_stock(world.services, STORE, {"AG"})

    run = await world.sync()

    assert run.report.writes == 0
    assert world.by_sku("AG")["stock_quantity"] == 4
