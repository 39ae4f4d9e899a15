"""Reservations against a real trytond: the units leave "available" at once, one sale in the end.

Reserve → the till's available drops, on-hand does not; completion → the same
sale is finished (one sale, stock moved once); cancellation → the units come
back and the key is free for a later reservation.  The last tests run the
real engines (sandbox WooCommerce, StoreBridge database) against the same
Tryton.  Crash safety (kill -9 at each RPC step) is in test_crash.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from connector_samples import line, order, settings_json, tryton_settings
from tests.connectors.test_tryton_round_trip import tryton_of, tryton_on_hand
from tests.orders.orders_helpers import STORE, Shop, make_shop

from storebridge.connectors.tryton import seed as tryton_seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.reservations import released_web_id
from storebridge.errors import PosRejected
from storebridge.ports import PosReserver
from storebridge.sync.orders import ship_from_pos
from storebridge.web.views.orders import list_exports
from storebridge.woocommerce import WooClient

KEY = "main:1001"


def connect(tryton: Any, on_hand: str = "available") -> TrytonConnector:
    return TrytonConnector(tryton_settings(tryton.url, on_hand=on_hand))


def warehouse_figure(connector: TrytonConnector, sku: str) -> int:
    item = next(i for i in connector.read_items() if i.sku == sku)
    return int(str(item.on_hand[tryton_seed.WAREHOUSE]))


def sales_under(connector: TrytonConnector, key: str) -> int:
    return int(connector.rpc.call("sale.sale", "search_count", [("web_id", "=", key)]))


def test_the_connector_has_the_reservation_capability(tryton: Any) -> None:
    connector = connect(tryton)
    assert isinstance(connector, PosReserver)
    connector.close()


def test_a_reservation_leaves_available_at_once_and_becomes_the_one_exported_sale(
    tryton: Any,
) -> None:
    connector = connect(tryton)
    plain = connect(tryton, on_hand="quantity")
    before = warehouse_figure(connector, "MUG-01")
    assert warehouse_figure(plain, "MUG-01") == before  # nothing committed yet

    receipt = connector.reserve(order(1001, (line("MUG-01", 2),)))

    assert receipt.applied and not receipt.already_existed
    assert warehouse_figure(connector, "MUG-01") == before - 2  # the till may not sell them
    assert warehouse_figure(plain, "MUG-01") == before  # still on the shelf
    assert connector.find_document(KEY) is None  # reserved is not exported
    assert set(connector.reservations_applied([KEY, "main:404"])) == {KEY}
    again = connector.reserve(order(1001, (line("MUG-01", 2),)))
    assert again.already_existed and again.pos_ref == receipt.pos_ref

    exported = connector.write_order(order(1001, (line("MUG-01", 2),)))

    assert exported.pos_ref == receipt.pos_ref  # the reservation became the sale
    assert sales_under(connector, KEY) == 1
    assert connector.find_document(KEY) == receipt.pos_ref
    assert warehouse_figure(connector, "MUG-01") == before - 2  # not counted twice
    assert warehouse_figure(plain, "MUG-01") == before - 2  # shipped: off the shelf now
    with pytest.raises(PosRejected, match="has shipped"):
        connector.release(KEY)
    connector.close()
    plain.close()


def test_a_released_reservation_gives_the_units_back_and_frees_the_key(tryton: Any) -> None:
    connector = connect(tryton)
    before = warehouse_figure(connector, "MUG-01")
    receipt = connector.reserve(order(1001, (line("MUG-01", 3),)))
    assert warehouse_figure(connector, "MUG-01") == before - 3

    assert connector.release(KEY) is True

    assert warehouse_figure(connector, "MUG-01") == before
    assert sales_under(connector, KEY) == 0
    (sale,) = connector.rpc.call(
        "sale.sale",
        "search_read",
        [("number", "=", receipt.pos_ref)],
        0,
        1,
        None,
        ["web_id", "state", "shipment_state", "invoice_state"],
    )
    assert sale["web_id"] == released_web_id(KEY, sale["id"])
    assert (sale["state"], sale["shipment_state"], sale["invoice_state"]) == (
        "done",
        "none",
        "none",
    )
    assert connector.release(KEY) is False  # a second release finds nothing to do
    assert connector.reservations_applied([KEY]) == {}

    # The order comes back (a cancelled order restored): a new reservation under the key.
    renewed = connector.reserve(order(1001, (line("MUG-01", 1),)))
    assert renewed.pos_ref != receipt.pos_ref
    assert warehouse_figure(connector, "MUG-01") == before - 1
    connector.close()


@contextmanager
def tryton_shop(tmp_path: Path, template: Path, tryton: Any, **store: Any) -> Iterator[Shop]:
    """Sandbox + StoreBridge over the test Tryton, reading what is free to sell."""
    connector = json.loads(settings_json(tryton_settings(tryton.url, on_hand="available")))
    with make_shop(
        tmp_path,
        template,
        connector=connector,
        selection="webstore",
        webstore=tryton_seed.WEB_SHOP,
        reservations=True,
        export_orders_since="2000-01-01T00:00:00Z",
        **store,
    ) as built:
        yield built


@pytest.fixture
def shop(tmp_path: Path, _sqlite_template: Path, tryton: Any) -> Iterator[Shop]:
    with tryton_shop(tmp_path, _sqlite_template, tryton) as built:
        yield built


async def test_the_engines_reserve_in_tryton_and_the_export_finishes_that_sale(shop: Shop) -> None:
    tryton = tryton_of(shop)
    await shop.sync_products()
    start = tryton_on_hand(shop, "MUG-01")
    assert shop.woo_stock("MUG-01") == start
    order_doc = shop.place([("MUG-01", 3)], status="processing")
    key = f"{STORE}:{order_doc['id']}"

    cycle = await shop.refresh()

    assert cycle.reservations.reserved == {order_doc["id"]}
    (sale,) = tryton.rpc.call(
        "sale.sale", "search_read", [("web_id", "=", key)], 0, None, None, ["state", "number"]
    )
    assert sale["state"] == "processing"
    assert tryton_on_hand(shop, "MUG-01") == start - 3  # Tryton holds the units
    assert shop.woo_stock("MUG-01") == start - 3
    await shop.sync_products()
    assert shop.woo_stock("MUG-01") == start - 3  # read back: held once, not twice

    shop.set_status(order_doc["id"], "completed")
    await shop.refresh()
    report = await shop.export()

    assert report.counts["exported"] == 1
    assert sales_under(tryton, key) == 1
    assert tryton.find_document(key) == sale["number"]
    assert (await shop.refresh()).reservations.converted == {order_doc["id"]}
    await shop.sync_products()
    assert shop.woo_stock("MUG-01") == start - 3


async def test_the_engines_release_a_cancelled_orders_sale_in_tryton(shop: Shop) -> None:
    tryton = tryton_of(shop)
    await shop.sync_products()
    start = tryton_on_hand(shop, "MUG-01")
    order_doc = shop.place([("MUG-01", 2)], status="processing")
    await shop.refresh()
    await shop.sync_products()
    assert tryton_on_hand(shop, "MUG-01") == start - 2

    shop.set_status(order_doc["id"], "cancelled")
    cycle = await shop.refresh()

    assert cycle.reservations.released == {order_doc["id"]}
    assert sales_under(tryton, f"{STORE}:{order_doc['id']}") == 0
    assert tryton_on_hand(shop, "MUG-01") == start
    await shop.sync_products()
    assert shop.woo_stock("MUG-01") == start
    assert (await shop.export()).counts["exported"] == 0


@pytest.fixture
def ship_shop(tmp_path: Path, _sqlite_template: Path, tryton: Any) -> Iterator[Shop]:
    with tryton_shop(tmp_path, _sqlite_template, tryton, ship_from_pos=True) as built:
        yield built


def ship_in_tryton(tryton: TrytonConnector, key: str, tracking: str) -> None:
    """What a warehouse clerk does in Tryton: pick, pack, note the tracking number, ship."""
    (sale,) = tryton.rpc.call(
        "sale.sale", "search_read", [("web_id", "=", key)], 0, None, None, ["shipments"]
    )
    ids = sale["shipments"]
    tryton.rpc.call("stock.shipment.out", "assign_force", ids)
    tryton.rpc.call("stock.shipment.out", "pick", ids)
    tryton.rpc.call("stock.shipment.out", "pack", ids)
    tryton.rpc.call("stock.shipment.out", "write", ids, {"reference": tracking})
    tryton.rpc.call("stock.shipment.out", "do", ids)


async def test_ship_from_pos_completes_the_order_with_its_tracking_and_never_exports_it(
    ship_shop: Shop,
) -> None:
    shop = ship_shop
    tryton = tryton_of(shop)
    await shop.sync_products()
    start = tryton_on_hand(shop, "MUG-01")
    placed = shop.place([("MUG-01", 2)], status="processing")
    key = f"{STORE}:{placed['id']}"
    await shop.refresh()
    shop.set_status(placed["id"], "completed")  # the merchant jumps the gun: still the POS's job
    await shop.refresh()
    assert (await shop.export()).counts["awaiting_pos_shipment"] == 1
    (waiting,) = tryton.rpc.call(
        "sale.sale", "search_read", [("web_id", "=", key)], 0, None, None, ["shipment_state"]
    )
    assert waiting["shipment_state"] == "waiting"  # StoreBridge did not ship it
    shop.set_status(placed["id"], "processing")

    ship_in_tryton(tryton, key, "TRACK-123")
    cycle = await shop.refresh()

    assert cycle.shipments.shipped == {placed["id"]}
    assert cycle.shipments.completed == {placed["id"]}
    woo = shop.sandbox.orders.get(placed["id"])
    assert woo["status"] == "completed"
    assert {"key": "_storebridge_tracking", "value": "TRACK-123"} in [
        {"key": m["key"], "value": m["value"]} for m in woo["meta_data"]
    ]
    notes = await shop.api("GET", f"/orders/{placed['id']}/notes", params={"type": "customer"})
    assert [n["note"] for n in notes] == ["Your order has shipped. Tracking number: TRACK-123"]
    report = await shop.export()
    assert report.counts["exported"] == 0
    assert sales_under(tryton, key) == 1
    export = shop.export_row(placed["id"])
    assert export is not None and export.state == "exported"
    again = await shop.refresh()
    assert again.shipments.completed == set()  # told once
    notes = await shop.api("GET", f"/orders/{placed['id']}/notes", params={"type": "customer"})
    assert len(notes) == 1
    await shop.sync_products()
    assert shop.woo_stock("MUG-01") == start - 2


async def test_a_shipment_cancelled_in_the_pos_is_shown_for_a_human(ship_shop: Shop) -> None:
    shop = ship_shop
    tryton = tryton_of(shop)
    await shop.sync_products()
    placed = shop.place([("MUG-01", 1)], status="processing")
    key = f"{STORE}:{placed['id']}"
    await shop.refresh()
    (sale,) = tryton.rpc.call(
        "sale.sale", "search_read", [("web_id", "=", key)], 0, None, None, ["shipments"]
    )
    tryton.rpc.call("stock.shipment.out", "cancel", sale["shipments"])

    cycle = await shop.refresh()

    assert cycle.shipments.cancelled == {placed["id"]}
    assert shop.sandbox.orders.get(placed["id"])["status"] == "processing"
    await shop.export()
    with shop.services.sessions() as session:
        (line,) = [
            o for o in list_exports(session, stores=[STORE]) if o.woo_order_id == placed["id"]
        ]
    assert "the shipment was cancelled in the POS/ERP" in line.in_pos


@pytest.mark.parametrize("dies", ["before-telling-woo", "after-the-note", "after-completing"])
async def test_a_kill_at_any_ship_from_pos_step_tells_woocommerce_once(
    ship_shop: Shop, dies: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = ship_shop
    tryton = tryton_of(shop)
    await shop.sync_products()
    placed = shop.place([("MUG-01", 1)], status="processing")
    key = f"{STORE}:{placed['id']}"
    await shop.refresh()
    ship_in_tryton(tryton, key, "TRACK-9")

    real_tell, real_update = ship_from_pos._tell_woo, WooClient.update_order

    async def killed_before(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("killed")

    async def killed_after(self: WooClient, *args: Any, **kwargs: Any) -> None:
        await real_update(self, *args, **kwargs)
        raise KeyboardInterrupt("killed")

    if dies == "before-telling-woo":
        monkeypatch.setattr(ship_from_pos, "_tell_woo", killed_before)
    else:
        patched = killed_before if dies == "after-the-note" else killed_after
        monkeypatch.setattr(WooClient, "update_order", patched)
    with pytest.raises(KeyboardInterrupt):
        await shop.refresh()
    monkeypatch.setattr(ship_from_pos, "_tell_woo", real_tell)
    monkeypatch.setattr(WooClient, "update_order", real_update)

    cycle = await shop.refresh()  # the restart

    assert cycle.shipments.completed == {placed["id"]}
    assert shop.sandbox.orders.get(placed["id"])["status"] == "completed"
    notes = await shop.api("GET", f"/orders/{placed['id']}/notes", params={"type": "customer"})
    assert [n["note"] for n in notes] == ["Your order has shipped. Tracking number: TRACK-9"]
    assert (await shop.export()).counts["exported"] == 0
    assert sales_under(tryton, key) == 1
