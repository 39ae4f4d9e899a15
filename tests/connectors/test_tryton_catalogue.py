"""The demo catalogue loaded into a real trytond over JSON-RPC reads back as generated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from connector_samples import customer, tryton_settings

from storebridge.connectors.demo.catalogue import CatalogueItem, catalogue
from storebridge.connectors.tryton import seed
from storebridge.connectors.tryton.catalogue import (
    BATCH,
    current_offer,
    load_catalogue,
    load_customers,
)
from storebridge.connectors.tryton.connector import TrytonConnector
from storebridge.connectors.tryton.rpc import TrytonRpc
from storebridge.connectors.tryton.server import TrytonServer
from storebridge.domain.model import RawItem

TODAY = date(2026, 12, 3)


class CountingRpc(TrytonRpc):
    """The real session, noting how many records each create and write carries."""

    sizes: list[int]

    def call(
        self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None
    ) -> Any:
        if method == "create":  # a template counts its variants: they carry the unique code
            self.sizes.append(
                sum(len(row.get("products", [[None, [{}]]])[0][1]) for row in args[0])
            )
        elif method == "write" and "products" in args[-1]:  # web shop links added
            self.sizes.append(len(args[-1]["products"][0][1]))
        return super().call(model, method, *args, context=context)


@pytest.fixture
def connector(tryton: TrytonServer) -> Iterator[TrytonConnector]:
    connector = TrytonConnector(tryton_settings(tryton.url))
    yield connector
    connector.close()


def test_the_demo_catalogue_reads_back_with_styles_stock_web_shop_and_offers(
    connector: TrytonConnector,
) -> None:
    items = list(catalogue(70, 2, 42, (seed.SHOP_WAREHOUSE, seed.WAREHOUSE), TODAY))
    rpc = CountingRpc(connector.settings)
    rpc.sizes = []

    loaded = load_catalogue(
        rpc, items, web_shop=seed.WEB_SHOP, price_list=seed.PRICE_LIST, today=TODAY
    )
    rpc.close()

    assert max(rpc.sizes) <= BATCH < len(items)  # more than one batch, none too big
    assert (loaded.products, loaded.styles) == (len(items), 2)
    read = {item.sku: item for item in connector.read_items()}
    for item in items:
        assert_read_as_generated(read[item.sku], item)
    offers = [item for item in items if current_offer(item, TODAY)]
    assert loaded.offers == len(offers) > 0


def assert_read_as_generated(got: RawItem, item: CatalogueItem) -> None:
    assert got.name == (item.parent_name or item.name)
    assert Decimal(str(got.regular_price)) == item.price, item.sku
    assert got.on_hand == item.stock, item.sku
    assert (seed.WEB_SHOP in got.webstore_prices) is item.web, item.sku
    expected_sale = item.sale_price if current_offer(item, TODAY) else None
    sale = None if got.sale_price is None else Decimal(str(got.sale_price))
    assert sale == expected_sale, item.sku
    assert got.parent_code == item.parent_code
    assert got.attributes == item.attributes  # labels: {"Colour": "Navy", "Size": "XL"}


def test_an_offer_runs_only_between_its_dates() -> None:
    day = datetime(2026, 12, 3, tzinfo=UTC)
    item = CatalogueItem(
        sku="A-1",
        name="A",
        category="Home",
        description="",
        short_description="",
        price=Decimal("10"),
        weight=Decimal("1"),
        stock={},
        web=True,
        sale_price=Decimal("8"),
        sale_from=day,
        sale_to=day + timedelta(days=7),
    )
    assert current_offer(item, day.date())
    assert not current_offer(item, day.date() - timedelta(days=1))
    assert not current_offer(item, (day + timedelta(days=7)).date())
    assert current_offer(CatalogueItem(**{**_fields(item), "sale_from": None}), date(2000, 1, 1))
    assert not current_offer(CatalogueItem(**{**_fields(item), "sale_price": None}), day.date())


def _fields(item: CatalogueItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in CatalogueItem.__slots__}


def test_seeded_customers_are_the_parties_web_orders_land_on(connector: TrytonConnector) -> None:
    shoppers = [("Ada", "Lovelace", "ada@example.com"), ("Alan", "Turing", "alan@example.com")]

    assert load_customers(connector.rpc, shoppers) == 2
    assert load_customers(connector.rpc, shoppers) == 0  # known e-mails are not added twice

    (party,) = connector.rpc.call(
        "party.party", "search_read", [("name", "=", "Ada Lovelace")], 0, None, None, ["code"]
    )
    assert connector.upsert_customer(customer("ADA@example.com")) == party["code"]
