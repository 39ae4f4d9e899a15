"""Till sales through Tryton's point of sale move the on-hand StoreBridge reads (real trytond)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import tryton_seed as seed
from connector_samples import tryton_settings
from tryton_server import TrytonServer

from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.simulation import TrytonTill
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
