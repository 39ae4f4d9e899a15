"""End to end: web orders through the sandbox, exports into the demo POS, stock back to the web.

Shoppers place orders, the merchant cancels some and completes the rest;
StoreBridge refreshes its ledger, exports, and reads the POS back.  Each
completed order must exist once in the POS with WooCommerce's total, each
customer once per e-mail, and the allocation must be released only once the
POS inventory shows the sale.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.sync.export.order_mapping import normalise_email
from storebridge.sync.orders.ledger_view import allocated_for_store

STOCK = {
    "TEA-1": {"store-1": 5, "warehouse": 7},
    "POT-2": {"store-1": 4},
    "CUP-3": {"store-2": 6, "warehouse": 6},
}

ORDERS = [  # (email, lines, fate)
    ("ada@example.com", [("TEA-1", 2), ("CUP-3", 1)], "completed"),
    ("ADA@example.com ", [("POT-2", 1)], "completed"),
    ("ben@example.com", [("TEA-1", 1)], "cancelled"),
    ("cy@example.com", [("CUP-3", 3), ("POT-2", 1)], "completed"),
    ("ben@example.com", [("CUP-3", 2)], "completed"),
    ("dee@example.com", [("TEA-1", 4)], "cancelled"),
]


@pytest.fixture
def shop(tmp_path: Path, _sqlite_template: Path) -> Iterator[Shop]:
    with make_shop(tmp_path, _sqlite_template, stock=STOCK, safety_stock=1) as built:
        yield built


def allocated(shop: Shop) -> dict[str, int]:
    settings = shop.services.store(STORE).settings
    with shop.services.sessions() as session:
        return allocated_for_store(session, STORE, settings)


def pos_total(shop: Shop, sku: str) -> int:
    return sum(shop.pos.on_hand(sku).values())


async def test_completed_orders_reach_the_pos_once_and_stock_follows(shop: Shop) -> None:
    await shop.sync_products()
    assert [shop.woo_stock(sku) for sku in STOCK] == [11, 3, 11]
    placed = [
        (shop.place(lines, status="processing", email=email), lines, fate)
        for email, lines, fate in ORDERS
    ]
    await shop.refresh()
    assert allocated(shop) == {"tea-1": 7, "pot-2": 2, "cup-3": 6}
    assert [shop.woo_stock(sku) for sku in STOCK] == [4, 1, 5]
    for order, _lines, fate in placed:
        shop.set_status(order["id"], fate)
    await shop.refresh()
    # Cancelled orders let go at once; completed ones hold until the POS has them.
    assert allocated(shop) == {"tea-1": 2, "pot-2": 2, "cup-3": 6}
    assert [shop.woo_stock(sku) for sku in STOCK] == [9, 1, 5]

    report = await shop.export()
    assert report.counts["exported"] == 4
    assert report.outcome == "ok"
    invoices = {doc.idempotency_key: doc for doc in shop.pos.documents() if doc.kind == "invoice"}
    completed = [order for order, _lines, fate in placed if fate == "completed"]
    assert sorted(invoices) == sorted(f"{STORE}:{order['id']}" for order in completed)
    for order in completed:
        woo = shop.sandbox.orders.get(order["id"])
        assert invoices[f"{STORE}:{order['id']}"].total == Decimal(woo["total"])
    customers = {doc.customer_ref for doc in invoices.values()}
    emails = {normalise_email(email) for email, _lines, fate in ORDERS if fate == "completed"}
    assert len(customers) == len(emails) == 3
    # The POS has the sales now, but StoreBridge has not read it since: still held.
    assert [pos_total(shop, sku) for sku in STOCK] == [10, 2, 6]
    await shop.refresh()
    assert allocated(shop) == {"tea-1": 2, "pot-2": 2, "cup-3": 6}
    assert [shop.woo_stock(sku) for sku in STOCK] == [9, 1, 5]

    await shop.sync_products()  # reads the POS after the exports were acknowledged
    assert allocated(shop) == {}
    assert [shop.woo_stock(sku) for sku in STOCK] == [9, 1, 5]  # on-hand - 0 - safety 1
    cycle = await shop.refresh()
    assert cycle.released == {order["id"] for order in completed}

    again = await shop.export()
    assert again.counts["exported"] == 0
    assert len([doc for doc in shop.pos.documents() if doc.kind == "invoice"]) == 4
