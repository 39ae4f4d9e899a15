"""The products engine against the sandbox: drafts, adoption, updates, delisting, idle cycles."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from tests.sync.sync_helpers import IDLE, STORE, World, make_world, money, raw

from storebridge.persistence.tables import InventorySnapshot, Run, StockHistory


async def test_new_items_become_drafts_with_prices_and_available_stock(world: World) -> None:
    world.pos.put(raw("A-1", "12.50", 4, description="Linen", weight="0.4"))
    world.pos.put(raw("B-2", "3.00", 0, sale_price="2.50"))

    run = await world.sync()

    assert run.report.outcome == "ok"
    assert run.report.counts["created"] == 2
    a, b = world.by_sku("A-1"), world.by_sku("B-2")
    assert (a["status"], a["type"], a["name"]) == ("draft", "simple", "Item A-1")
    assert money(a, "regular_price") == Decimal("12.50")
    assert (a["manage_stock"], a["stock_quantity"]) == (True, 4)
    assert a["description"] == "Linen" and a["weight"] == "0.4"
    assert money(b, "sale_price") == Decimal("2.50")
    assert b["stock_quantity"] == 0


async def test_a_first_sync_of_n_items_makes_one_create_request_per_hundred(
    world: World,
) -> None:
    for n in range(250):
        world.pos.put(raw(f"N-{n:03}", "5.00", n % 7, line=n + 1))

    run = await world.sync()

    assert run.report.counts["created"] == 250
    assert run.report.requests["POST /products/batch"] == 3
    # The link check of an empty store costs one listing, the look-up of 250
    # unlinked SKUs in it one probe.
    assert run.report.requests["GET /products"] == 2
    assert len(world.docs()) == 250


async def test_an_idle_cycle_makes_one_read_and_no_write(world: World) -> None:
    for n in range(30):
        world.pos.put(raw(f"I-{n}", "7.00", 3, line=n + 1))
    await world.sync()
    await world.sync()  # the link check reads the 30 new products back once
    writes = world.writes()

    run = await world.sync()

    assert run.report.requests == IDLE
    assert world.writes() == writes
    assert run.report.planned["unchanged"] == 30


async def test_changed_prices_are_pushed_in_one_batch_per_hundred(world: World) -> None:
    for n in range(200):
        world.pos.put(raw(f"P-{n:03}", "10.00", 2, line=n + 1))
    await world.sync()
    await world.sync()  # the link check reads the 200 new products back once
    world.pos.change("P-007", regular_price="11.00")
    world.pos.change("P-123", sale_price="8.00")

    run = await world.sync()

    # Reads: only the link check's listing (200 products changed in one second: see link_check).
    assert run.report.requests.keys() == {*IDLE, "POST /products/batch"}
    assert run.report.requests["POST /products/batch"] == 1
    assert run.report.counts["updated"] == 2
    assert money(world.by_sku("P-007"), "regular_price") == Decimal("11.00")
    assert money(world.by_sku("P-123"), "sale_price") == Decimal("8.00")
    assert (await world.sync()).report.writes == 0


async def test_links_record_what_woocommerce_confirmed(world: World) -> None:
    world.pos.put(
        raw("L-1", "9.99", 6, sale_price="7.50", sale_from="2030-01-01", sale_to="2030-01-31")
    )
    await world.sync()

    link = world.links()["l-1"]
    doc = world.by_sku("L-1")
    assert link.woo_id == doc["id"]
    assert (link.kind, link.origin, link.state) == ("simple", "created", "linked")
    assert link.pushed_regular_price == Decimal("9.99")
    assert link.pushed_sale_price == Decimal("7.50")
    assert link.pushed_sale_from is not None and link.pushed_sale_from.year == 2030
    assert link.pushed_stock == 6
    assert link.on_hand == 6


async def test_merchant_edits_of_descriptive_fields_survive_a_price_change(world: World) -> None:
    world.pos.put(raw("M-1", "20.00", 5, description="from the POS"))
    await world.sync()
    product_id = world.by_sku("M-1")["id"]
    await world.api(
        "PUT",
        f"/products/{product_id}",
        json={"name": "Merchant name", "description": "Merchant copy", "status": "publish"},
    )
    world.pos.change("M-1", regular_price="25.00", name="POS renamed", description="POS copy")

    await world.sync()

    doc = world.by_sku("M-1")
    assert (doc["name"], doc["description"], doc["status"]) == (
        "Merchant name",
        "Merchant copy",
        "publish",
    )
    assert money(doc, "regular_price") == Decimal("25.00")


async def test_an_existing_product_with_the_same_sku_is_adopted_not_duplicated(
    world: World,
) -> None:
    existing = await world.api(
        "POST",
        "/products",
        json={"name": "Hand made", "sku": "ADOPT-1", "regular_price": "1.00", "status": "publish"},
    )
    world.pos.put(raw("adopt-1", "4.00", 9))

    run = await world.sync()

    assert run.report.counts["adopted"] == 1
    doc = world.by_sku("ADOPT-1")
    assert doc["id"] == existing["id"]
    assert (doc["name"], doc["status"]) == ("Hand made", "publish")
    assert money(doc, "regular_price") == Decimal("4.00")
    assert doc["stock_quantity"] == 9
    assert world.links()["adopt-1"].origin == "adopted"
    assert (await world.sync()).report.writes == 0


async def test_an_existing_product_already_right_is_adopted_without_a_write(world: World) -> None:
    await world.api(
        "POST",
        "/products",
        json={
            "name": "Same",
            "sku": "SAME",
            "regular_price": "4.00",
            "manage_stock": True,
            "stock_quantity": 9,
        },
    )
    world.pos.put(raw("SAME", "4.00", 9))
    writes = world.writes()

    run = await world.sync()

    assert run.report.counts["adopted"] == 1
    assert world.writes() == writes


async def test_new_drafts_get_their_categories_by_id_created_when_missing(world: World) -> None:
    existing = await world.api("POST", "/products/categories", json={"name": "Shirts"})
    world.pos.put(raw("C-1", categories=("shirts", "Summer Sale")))

    run = await world.sync()

    assert run.report.counts["created"] == 1
    categories = await world.api("GET", "/products/categories", params={"per_page": 100})
    by_name = {c["name"]: c["id"] for c in categories}
    assert set(world.by_sku("C-1")["category_ids"]) == {existing["id"], by_name["Summer Sale"]}


async def test_categories_are_not_created_when_the_store_says_so(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    with make_world(tmp_path, _sqlite_template, create_categories=False) as world:
        world.pos.put(raw("C-2", categories=("Nowhere",)))
        await world.sync()
        categories = await world.api("GET", "/products/categories")
        assert "Nowhere" not in {c["name"] for c in categories}
        assert world.by_sku("C-2")["status"] == "draft"


async def test_an_item_leaving_the_selection_gets_stock_zero_and_nothing_else(
    world: World,
) -> None:
    world.pos.put(raw("D-1", "5.00", 8))
    await world.sync()
    world.pos.change("D-1", web_flag=False, regular_price="99.00")

    run = await world.sync()

    assert run.report.counts["zeroed"] == 1
    doc = world.by_sku("D-1")
    assert doc["stock_quantity"] == 0
    assert money(doc, "regular_price") == Decimal("5.00")
    assert world.links()["d-1"].on_hand is None
    assert (await world.sync()).report.writes == 0


async def test_an_item_gone_from_the_pos_gets_stock_zero(world: World) -> None:
    world.pos.put(raw("G-1", "5.00", 8))
    await world.sync()
    world.pos.remove("G-1")

    await world.sync()

    assert world.by_sku("G-1")["stock_quantity"] == 0


async def test_delist_policy_leave_touches_nothing(tmp_path: Path, _sqlite_template: Path) -> None:
    with make_world(tmp_path, _sqlite_template, delist="leave") as world:
        world.pos.put(raw("K-1", "5.00", 8))
        await world.sync()
        world.pos.change("K-1", web_flag=False)

        run = await world.sync()

        assert run.report.writes == 0
        assert world.by_sku("K-1")["stock_quantity"] == 8


async def test_a_relisted_item_gets_its_stock_back(world: World) -> None:
    world.pos.put(raw("R-1", "5.00", 8))
    await world.sync()
    world.pos.change("R-1", web_flag=False)
    await world.sync()
    world.pos.change("R-1", web_flag=True)

    await world.sync()

    assert world.by_sku("R-1")["stock_quantity"] == 8


async def test_safety_stock_and_locations_shape_the_published_quantity(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    with make_world(
        tmp_path,
        _sqlite_template,
        locations=["shop", "depot"],
        safety_stock=1,
        safety_overrides={"S-2": 3},
    ) as world:
        world.pos.put(raw("S-1", on_hand={"shop": 4, "depot": 2, "repair": 50}))
        world.pos.put(raw("S-2", on_hand={"shop": 2}))
        await world.sync()
        assert world.by_sku("S-1")["stock_quantity"] == 5
        assert world.by_sku("S-2")["stock_quantity"] == 0
        with world.services.sessions() as session:
            history = session.scalars(
                select(StockHistory).where(StockHistory.sku_key == "s-1")
            ).one()
        assert (history.on_hand, history.safety, history.available) == (6, 1, 5)
        assert history.pushed and "= 5" in history.reason


async def test_a_run_is_recorded_with_counts_requests_and_an_inventory_snapshot(
    world: World,
) -> None:
    world.pos.put(raw("Q-1"))
    run = await world.sync()

    with world.services.sessions() as session:
        row = session.get(Run, run.report.run_id)
        snapshots = session.scalars(select(InventorySnapshot)).all()
    assert row is not None and row.store == STORE and row.job == "products"
    assert (row.outcome, row.counts["created"]) == ("ok", 1)
    assert row.requests["POST /products/batch"] == 1
    assert len(snapshots) == 1 and snapshots[0].items == 1


async def test_a_dry_run_writes_nothing_anywhere(world: World) -> None:
    world.pos.put(raw("Z-1"))
    run = await world.sync(dry_run=True)

    assert run.plan is not None and run.plan.summary()["create"] == 1
    assert world.docs() == [] and world.links() == {}
    with world.services.sessions() as session:
        assert session.scalars(select(Run)).all() == []
