"""`storebridge plan` compares the store's declared POS price basis with WooCommerce's setting."""

from __future__ import annotations

from pathlib import Path

from tests.orders.orders_helpers import STORE, make_shop

from storebridge.sync.catalogue.products import plan_products

PRICES_INCLUDE_TAX = "/settings/tax/woocommerce_prices_include_tax"


async def test_plan_warns_while_the_bases_disagree(tmp_path: Path, _sqlite_template: Path) -> None:
    with make_shop(tmp_path, _sqlite_template, pos_prices="gross") as shop:
        run = await plan_products(shop.services, STORE)
        [warning] = run.warnings
        assert "POS prices are gross" in warning and "= no" in warning
        await shop.api("PUT", PRICES_INCLUDE_TAX, json={"value": "yes"})
        run = await plan_products(shop.services, STORE)
        assert run.warnings == []


async def test_plan_asks_for_an_undeclared_basis(tmp_path: Path, _sqlite_template: Path) -> None:
    with make_shop(tmp_path, _sqlite_template) as shop:
        run = await plan_products(shop.services, STORE)
        assert [w for w in run.warnings if "pos_prices is not set" in w] == run.warnings != []
