"""Reading WooCommerce's JSON into the values the planner compares."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from storebridge.domain.ownership import PosOwned
from storebridge.sync.catalogue.mapping import (
    owned_from_item,
    owned_from_model,
    owned_from_pushed,
    pushed_of,
    view_from_item,
)
from storebridge.woocommerce import Variation


def test_money_dates_and_managed_stock_are_read_as_woocommerce_sends_them() -> None:
    owned = owned_from_item(
        {
            "regular_price": "20.00",
            "sale_price": "",
            "date_on_sale_from_gmt": "2030-01-01T00:00:00",
            "date_on_sale_to_gmt": None,
            "manage_stock": True,
            "stock_quantity": 3.0,
        }
    )
    assert owned == PosOwned(
        Decimal("20.00"), None, datetime(2030, 1, 1, tzinfo=UTC), None, True, 3
    )


def test_an_unmanaged_or_parent_managed_quantity_is_not_ours() -> None:
    assert owned_from_item({"manage_stock": False, "stock_quantity": 0}).stock_quantity is None
    variation = Variation.model_validate({"id": 1, "manage_stock": "parent", "stock_quantity": 7})
    owned = owned_from_model(variation)
    assert (owned.manage_stock, owned.stock_quantity) == (False, None)


def test_a_variation_found_by_sku_keeps_its_parent() -> None:
    view = view_from_item({"id": 9, "sku": "V-1", "type": "variation", "parent_id": 4})
    assert (view.id, view.type, view.parent_id) == (9, "variation", 4)
    assert view_from_item({"id": 3, "sku": "P", "parent_id": 0}).parent_id is None


def test_pushed_values_round_trip_through_the_link_table_columns() -> None:
    owned = PosOwned(Decimal("5.00"), Decimal("4.00"), None, None, True, 2)
    pushed = pushed_of(owned)
    assert pushed.prices is not None and pushed.stock == 2
    back = owned_from_pushed(
        pushed.prices.regular, pushed.prices.sale, None, None, pushed.stock, True
    )
    assert back == owned
    assert owned_from_pushed(Decimal(1), None, None, None, 1, False) is None
