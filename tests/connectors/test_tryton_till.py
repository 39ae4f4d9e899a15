"""Till sales through Tryton's point of sale move the on-hand StoreBridge reads (real trytond)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

import pytest
from connector_samples import tryton_settings

from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.server import TrytonServer
from storebridge.connectors.tryton.simulation import TrytonStoreLife, TrytonTill
from storebridge.domain.model import money
from storebridge.errors import ConfigError, PosRejected


@pytest.fixture
def connector(tryton: TrytonServer) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(tryton_settings(tryton.url))
    yield connector
    connector.close()


def on_hand(connector: TrytonConnector, sku: str) -> dict[str, object]:
    return next(item.on_hand for item in connector.read_items() if item.sku == sku)


def test_a_posted_till_sale_lowers_the_shop_floor_on_hand(connector: TrytonConnector) -> None:
    till = TrytonTill(connector.rpc, seed.TILL, seed.TILL_PAYMENT)

    sale = till.sell("MUG-01", 3)

    assert (sale.sku, sale.quantity, sale.total) == ("MUG-01", 3, Decimal("37.50"))
    # the till sells from the shop floor; the web warehouse keeps its stock
    assert on_hand(connector, "MUG-01") == {seed.WAREHOUSE: 25, seed.SHOP_WAREHOUSE: 37}
    (state,) = connector.rpc.call("sale.point.sale", "read", [sale.sale_id], ["state"])
    assert state["state"] == "posted"


def test_a_till_with_an_unknown_name_or_product_is_refused(connector: TrytonConnector) -> None:
    with pytest.raises(ConfigError, match=r"no sale\.point named 'Back door'"):
        TrytonTill(connector.rpc, "Back door", seed.TILL_PAYMENT).sell("MUG-01", 1)
    with pytest.raises(PosRejected, match="NOPE-1"):
        TrytonTill(connector.rpc, seed.TILL, seed.TILL_PAYMENT).sell("NOPE-1", 1)
    with pytest.raises(ValueError, match="at least one unit"):
        TrytonTill(connector.rpc, seed.TILL, seed.TILL_PAYMENT).sell("MUG-01", 0)


def store_life(connector: TrytonConnector) -> TrytonStoreLife:
    till = TrytonTill(connector.rpc, seed.TILL, seed.TILL_PAYMENT)
    return TrytonStoreLife(connector.rpc, till, shop=seed.SHOP_WAREHOUSE, receiving=seed.WAREHOUSE)


def test_store_life_till_sale_lowers_the_on_hand_storebridge_reads(
    connector: TrytonConnector,
) -> None:
    before = {item.sku: item.on_hand for item in connector.read_items()}

    line = store_life(connector).sell_one(random.Random(3))

    assert line is not None
    after = {item.sku: item.on_hand for item in connector.read_items()}
    changed = {sku for sku in before if before[sku] != after[sku]}
    assert len(changed) == 1, line
    (sku,) = changed
    sold = int(str(before[sku][seed.SHOP_WAREHOUSE])) - int(str(after[sku][seed.SHOP_WAREHOUSE]))
    assert 1 <= sold <= 3
    assert f"{sold} x {sku}" in line
    assert after[sku][seed.WAREHOUSE] == before[sku][seed.WAREHOUSE]  # web stock untouched


def test_store_life_receipt_raises_the_warehouse_and_price_change_the_list_price(
    connector: TrytonConnector,
) -> None:
    life = store_life(connector)
    before = {item.sku: item for item in connector.read_items()}

    received = life.receive_one(random.Random(5))
    repriced = life.reprice_one(random.Random(5))

    assert received is not None and repriced is not None
    after = {item.sku: item for item in connector.read_items()}
    grown = {
        sku: int(str(after[sku].on_hand[seed.WAREHOUSE]))
        - int(str(before[sku].on_hand[seed.WAREHOUSE]))
        for sku in before
        if after[sku].on_hand != before[sku].on_hand
    }
    ((sku, quantity),) = grown.items()
    assert received == f"receipt: {quantity} x {sku} into {seed.WAREHOUSE}"
    new_prices = {
        sku: after[sku].regular_price
        for sku in before
        if Decimal(str(after[sku].regular_price)) != Decimal(str(before[sku].regular_price))
    }
    assert new_prices, repriced
    assert all(repriced.endswith(f"-> {money(str(p))}") for p in new_prices.values()), repriced
    # a template price: every variant of a style follows it
    assert len({after[sku].parent_code or sku for sku in new_prices}) == 1


def test_store_life_step_plays_the_drawn_events(connector: TrytonConnector) -> None:
    lines = store_life(connector).step(random.Random(11), events=4)

    assert 1 <= len(lines) <= 4
    assert all(line.startswith(("till sale #", "receipt: ", "price change: ")) for line in lines), (
        lines
    )
