"""The round trip with a real Tryton: its items become WooCommerce drafts, web orders become its sales.

Tryton item -> WooCommerce draft (sandbox) -> web order -> completed ->
Tryton sale with the right party, lines, totals and reduced on-hand ->
WooCommerce stock = Tryton on-hand - open orders - safety stock.
StoreBridge runs through its real engines (`bootstrap.build_services`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.server import TrytonServer

SAFETY = 1


@pytest.fixture
def shop(tmp_path: Path, _sqlite_template: Path, tryton: TrytonServer) -> Iterator[Shop]:
    connector = {
        "type": "tryton",
        "url": tryton.url,
        "database": "storebridge",
        "password": seed.ADMIN_PASSWORD,
        "web_shop": seed.WEB_SHOP,
        "warehouses": [seed.WAREHOUSE, seed.SHOP_WAREHOUSE],
        "shipping_product": seed.SHIPPING_CODE,
        "fee_product": seed.FEE_CODE,
        "unknown_product": seed.UNKNOWN_CODE,
        "timeout": 120,
    }
    with make_shop(
        tmp_path,
        _sqlite_template,
        connector=connector,
        selection="webstore",
        webstore=seed.WEB_SHOP,
        safety_stock=SAFETY,
        export_orders_since="2000-01-01T00:00:00Z",
    ) as built:
        yield built


def tryton_of(shop: Shop) -> TrytonConnector:
    connector = shop.services.store(STORE).connector
    assert isinstance(connector, TrytonConnector)
    return connector


def tryton_on_hand(shop: Shop, sku: str) -> int:
    item = next(i for i in tryton_of(shop).read_items() if i.sku == sku)
    return sum(int(str(v)) for v in item.on_hand.values())


async def test_a_web_order_completes_into_a_tryton_sale_and_stock_comes_back(shop: Shop) -> None:
    await shop.sync_products()
    for sku, (_name, _price, _stock, web, attributes) in seed.GOODS.items():
        doc = shop.sandbox.products.by_sku(sku)
        if not web:
            assert doc is None  # not in the web shop
        elif attributes:
            assert doc is not None and doc["type"] == "variation"
        else:
            assert doc is not None and doc["status"] == "draft"
    style = shop.sandbox.products.by_sku("TEE")
    assert style is not None and style["type"] == "variable" and style["status"] == "draft"
    mug_start = tryton_on_hand(shop, "MUG-01")
    assert shop.woo_stock("MUG-01") == mug_start - SAFETY

    sold = shop.place([("MUG-01", 3)], status="processing", email="Rita@Example.com")
    still_open = shop.place([("BAG-7", 1)], status="processing", email="sam@example.com")
    await shop.refresh()
    assert shop.woo_stock("MUG-01") == mug_start - 3 - SAFETY
    shop.set_status(sold["id"], "completed")
    await shop.refresh()

    report = await shop.export()
    assert report.counts["exported"] == 1

    tryton = tryton_of(shop)
    (sale,) = tryton.rpc.call(
        "sale.sale",
        "search_read",
        [("web_id", "=", f"{STORE}:{sold['id']}")],
        0,
        None,
        None,
        ["total_amount", "shipment_state", "lines", "party"],
    )
    woo = shop.sandbox.orders.get(sold["id"])
    assert sale["total_amount"] == Decimal(woo["total"])
    assert sale["shipment_state"] == "sent"
    lines: list[dict[str, Any]] = tryton.rpc.call(
        "sale.line", "read", sale["lines"], ["product.code", "quantity"]
    )
    assert [(ln["product."]["code"], ln["quantity"]) for ln in lines] == [("MUG-01", 3.0)]
    emails = tryton.rpc.call(
        "party.contact_mechanism",
        "search_read",
        [("party", "=", sale["party"]), ("type", "=", "email")],
        0,
        None,
        None,
        ["value"],
    )
    assert [m["value"] for m in emails] == ["rita@example.com"]
    assert tryton_on_hand(shop, "MUG-01") == mug_start - 3

    await shop.sync_products()  # a snapshot read after the export: the allocation is released
    await shop.refresh()
    assert shop.woo_stock("MUG-01") == tryton_on_hand(shop, "MUG-01") - SAFETY
    bag = tryton_on_hand(shop, "BAG-7")
    assert shop.woo_stock("BAG-7") == max(0, bag - 1 - SAFETY)  # one still open on the web
    assert still_open["status"] == "processing"
