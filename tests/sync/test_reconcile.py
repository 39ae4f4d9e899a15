"""Reconcile: drift found and fixed (or only reported), lost links found, fixed links relinked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from tests.sync.ledger_rows import add_order
from tests.sync.sync_helpers import STORE, World, money, raw

from storebridge.persistence.tables import StockHistory
from storebridge.sync.catalogue.reconcile import reconcile


def variant(sku: str, size: str, stock: int) -> Any:
    return raw(sku, "30.00", stock, parent_code="R", attributes={"Size": size})


async def synced(world: World) -> None:
    world.pos.put(raw("A", "10.00", 5))
    world.pos.put(raw("B", "20.00", 7, line=2))
    world.pos.put(variant("R-S", "S", 3))
    await world.sync()


async def test_hand_edits_of_prices_and_stock_are_reported_and_fixed(world: World) -> None:
    await synced(world)
    a, small = world.by_sku("A"), world.by_sku("R-S")
    await world.api("PUT", f"/products/{a['id']}", json={"regular_price": "1.00", "name": "Mine"})
    await world.api(
        "PUT",
        f"/products/{small['parent_id']}/variations/{small['id']}",
        json={"stock_quantity": 40},
    )

    report = await reconcile(world.services, STORE)

    assert report.outcome == "ok"
    drift = {(d.sku, d.field, d.ours, d.theirs) for d in report.drift}
    assert drift == {("A", "regular_price", "10.00", "1.00"), ("R-S", "stock_quantity", "3", "40")}
    assert report.counts["updated"] == 2
    assert money(world.by_sku("A"), "regular_price") == Decimal("10.00")
    assert world.by_sku("A")["name"] == "Mine"
    assert world.by_sku("R-S")["stock_quantity"] == 3
    again = await reconcile(world.services, STORE)
    assert again.drift == [] and again.writes == 0


async def test_report_only_writes_nothing(world: World) -> None:
    await synced(world)
    b = world.by_sku("B")
    await world.api("PUT", f"/products/{b['id']}", json={"stock_quantity": 0})
    writes = world.writes()

    report = await reconcile(world.services, STORE, fix=False)

    assert [(d.sku, d.field) for d in report.drift] == [("B", "stock_quantity")]
    assert world.writes() == writes
    assert world.by_sku("B")["stock_quantity"] == 0


async def test_reading_back_costs_one_request_per_hundred_products_and_no_write(
    world: World,
) -> None:
    for n in range(150):
        world.pos.put(raw(f"M-{n:03}", "10.00", 2, line=n + 1))
    await world.sync()

    report = await reconcile(world.services, STORE)

    assert report.requests == {"GET /products": 2}
    assert report.counts["checked"] == 150


async def test_stock_is_judged_against_the_ledger_not_the_last_push(world: World) -> None:
    await synced(world)
    b = world.by_sku("B")
    # A shopper bought 2: WooCommerce lowered the stock and the ledger holds the order.
    await world.api("PUT", f"/products/{b['id']}", json={"stock_quantity": 5})
    with world.services.sessions.begin() as session:
        add_order(session, 1, "processing", {"b": 2})

    report = await reconcile(world.services, STORE)

    assert report.drift == []
    with world.services.sessions() as session:
        assert (
            session.scalars(
                select(StockHistory).where(StockHistory.reason.like("reconcile%"))
            ).all()
            == []
        )


async def test_broken_and_deleted_links_are_found_and_relinked_once_fixed(world: World) -> None:
    await synced(world)
    a, b = world.by_sku("A"), world.by_sku("B")
    await world.api("PUT", f"/products/{a['id']}", json={"sku": "A-RENAMED"})
    await world.api("DELETE", f"/products/{b['id']}")

    report = await reconcile(world.services, STORE)

    assert sorted((p.sku, p.kind) for p in report.problems) == [("A", "broken"), ("B", "deleted")]
    links = world.links()
    assert (links["a"].state, links["b"].state) == ("broken", "deleted")
    assert (await world.sync()).report.writes == 0
    assert len([d for d in world.docs() if d["type"] == "simple"]) == 2

    await world.api("PUT", f"/products/{a['id']}", json={"sku": "A"})
    await world.api("PUT", f"/products/{b['id']}", json={"status": "draft"})
    fixed = await reconcile(world.services, STORE)

    assert fixed.counts["relinked"] == 2
    assert {link.state for link in world.links().values()} == {"linked"}


async def test_a_product_deleted_for_good_is_reported_without_recreating_it(world: World) -> None:
    await synced(world)
    a = world.by_sku("A")
    await world.api("DELETE", f"/products/{a['id']}", params={"force": "true"})

    report = await reconcile(world.services, STORE)
    run = await world.sync()

    assert [(p.sku, p.kind) for p in report.problems] == [("A", "deleted")]
    assert run.report.counts["created"] == 0
    assert "A" not in {d["sku"] for d in world.docs()}


async def test_variations_of_many_styles_are_read_back_by_sku(world: World) -> None:
    for n in range(3):
        world.pos.put(
            raw(f"ST{n}-S", "30.00", 4, line=n + 1, parent_code=f"ST{n}", attributes={"Size": "S"})
        )
    await world.sync()
    one, two = world.by_sku("ST1-S"), world.by_sku("ST2-S")
    await world.api(
        "PUT",
        f"/products/{one['parent_id']}/variations/{one['id']}",
        json={"regular_price": "1.00"},
    )
    await world.api(
        "DELETE", f"/products/{two['parent_id']}/variations/{two['id']}", params={"force": "true"}
    )

    report = await reconcile(world.services, STORE)

    assert [(d.sku, d.field, d.theirs) for d in report.drift] == [
        ("ST1-S", "regular_price", "1.00")
    ]
    assert [(p.sku, p.kind) for p in report.problems] == [("ST2-S", "deleted")]
    assert report.requests["GET /products"] == 2  # parents by id, variations by SKU
    assert "GET /products/{id}/variations" not in report.requests
    assert money(world.by_sku("ST1-S"), "regular_price") == Decimal("30.00")
