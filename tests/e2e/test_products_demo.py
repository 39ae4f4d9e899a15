"""The demo POS through the products engine into the sandbox, as the demo runs it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.sync.sync_helpers import World, make_world, money

from storebridge.connectors.demo.pos import DemoPos
from storebridge.domain.selection import Selection
from storebridge.domain.validation import validate_feed


@pytest.fixture
def demo_world(tmp_path: Path, _sqlite_template: Path) -> Iterator[World]:
    connector = {
        "type": "demo",
        "path": str(tmp_path / "pos.sqlite3"),
        "seed_items": 40,
        "seed_styles": 3,
        "random_seed": 5,
    }
    with make_world(tmp_path, _sqlite_template, real_connector=True, connector=connector) as world:
        yield world


def expect_pos_in_woocommerce(world: World) -> int:
    pos = world.services.store("main").connector
    feed = validate_feed(pos.read_items(), selection=Selection("flag"))
    docs = {str(d["sku"]).casefold(): d for d in world.docs() if d.get("sku")}
    checked = 0
    for item in feed.items:
        doc = docs.get(item.key)
        if not item.selected:
            assert doc is None or doc["stock_quantity"] == 0
            continue
        assert doc is not None, item.sku
        assert money(doc, "regular_price") == item.regular_price
        assert money(doc, "sale_price") == item.sale_price
        assert doc["stock_quantity"] == sum(item.on_hand.values())
        checked += 1
    return checked


async def test_the_demo_catalogue_lands_in_woocommerce_and_follows_store_life(
    demo_world: World,
) -> None:
    first = await demo_world.sync()
    assert first.report.outcome == "ok", first.report.problems
    assert expect_pos_in_woocommerce(demo_world) > 0
    assert {d["status"] for d in demo_world.docs() if d["type"] != "variation"} == {"draft"}

    pos = demo_world.services.store("main").connector
    assert isinstance(pos, DemoPos)
    pos.simulate_step(random.Random(3), events=25)
    second = await demo_world.sync()

    assert second.report.outcome == "ok", second.report.problems
    expect_pos_in_woocommerce(demo_world)
    assert (await demo_world.sync()).report.writes == 0


async def test_a_demo_price_change_is_one_batch_request(demo_world: World) -> None:
    await demo_world.sync()
    await demo_world.sync()  # the link check reads the new catalogue back once
    pos = demo_world.services.store("main").connector
    assert isinstance(pos, DemoPos)
    sku = next(d["sku"] for d in demo_world.docs() if d["type"] == "simple")
    pos.set_price(sku, Decimal("123.45"))

    run = await demo_world.sync()

    # Reads: only the link check's listing (see sync.catalogue.link_check).
    assert set(run.report.requests) == {"GET /products", "POST /products/batch"}
    assert run.report.writes == run.report.requests["POST /products/batch"] == 1
    assert money(demo_world.by_sku(sku), "regular_price") == Decimal("123.45")
