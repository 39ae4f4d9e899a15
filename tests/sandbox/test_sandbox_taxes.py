"""The sandbox's tax setup: which rates apply to an order, and when."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from storebridge.sandbox import Sandbox
from storebridge.sandbox.taxes import SETTINGS


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    store = Sandbox()
    store.products.create(
        {"name": "Taxed", "sku": "TX-1", "status": "publish", "regular_price": "10.00"}
    )
    yield store
    store.close()


def _order(sandbox: Sandbox, country: str, state: str) -> dict[str, Any]:
    address = {"country": country, "state": state}
    return sandbox.orders.create(
        {"billing": address, "line_items": [{"sku": "TX-1", "quantity": 1}]}
    )


def test_rates_apply_only_while_taxes_are_enabled(sandbox: Sandbox) -> None:
    sandbox.tax_rates.create({"country": "US", "rate": "10"})
    assert _order(sandbox, "US", "CA")["total_tax"] == "0.00"
    sandbox.settings.write(SETTINGS["woocommerce_calc_taxes"], "yes")
    assert _order(sandbox, "US", "CA")["total_tax"] == "1.00"


def test_a_rate_matches_its_country_and_state_and_priorities_add_up(sandbox: Sandbox) -> None:
    sandbox.settings.write(SETTINGS["woocommerce_calc_taxes"], "yes")
    sandbox.tax_rates.create({"country": "US", "rate": "5", "name": "Federal"})
    sandbox.tax_rates.create({"country": "US", "state": "NY", "rate": "4", "priority": 2})
    sandbox.tax_rates.create({"country": "US", "state": "NY", "rate": "8", "priority": 2})
    new_york = _order(sandbox, "US", "NY")
    assert [(t["label"], t["tax_total"]) for t in new_york["tax_lines"]] == [
        ("Federal", "0.50"),
        ("Tax", "0.40"),  # only the first rate of a priority applies
    ]
    assert new_york["total"] == "10.90"
    assert _order(sandbox, "US", "CA")["total_tax"] == "0.50"
    assert _order(sandbox, "FR", "")["total_tax"] == "0.00"


def test_an_order_without_address_is_taxed_at_the_shop_base(sandbox: Sandbox) -> None:
    sandbox.settings.write(SETTINGS["woocommerce_calc_taxes"], "yes")
    sandbox.tax_rates.create({"country": "US", "state": "CA", "rate": "7.25"})
    order = sandbox.orders.create({"line_items": [{"sku": "TX-1", "quantity": 1}]})
    assert (order["total_tax"], order["total"]) == ("0.73", "10.73")
