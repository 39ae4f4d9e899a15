"""Reservations against a real trytond: the units leave "available" at once, one sale in the end.

Reserve → the till's available drops, on-hand does not; completion → the same
sale is finished (one sale, stock moved once); cancellation → the units come
back and the key is free for a later reservation.  Crash safety (kill -9 at
each RPC step) is in test_crash.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import tryton_seed
from connector_samples import line, order, tryton_settings

from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.reservations import released_web_id
from storebridge.errors import PosRejected
from storebridge.ports import PosReserver

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
