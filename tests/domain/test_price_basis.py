"""The POS's price basis against WooCommerce's price entry setting."""

from __future__ import annotations

import pytest

from storebridge.domain.price_basis import price_basis_warning


@pytest.mark.parametrize(("pos", "includes"), [("gross", True), ("net", False)])
def test_agreeing_bases_need_no_warning(pos: str, includes: bool) -> None:
    assert price_basis_warning(pos, includes) is None  # type: ignore[arg-type]


def test_gross_pos_prices_in_a_net_store_would_charge_the_tax_twice() -> None:
    warning = price_basis_warning("gross", False)
    assert warning is not None
    assert "woocommerce_prices_include_tax = no" in warning and "twice" in warning


def test_net_pos_prices_in_a_gross_store_would_charge_no_tax() -> None:
    warning = price_basis_warning("net", True)
    assert warning is not None
    assert "woocommerce_prices_include_tax = yes" in warning and "no tax" in warning


@pytest.mark.parametrize(("includes", "advice"), [(True, '"gross"'), (False, '"net"')])
def test_an_undeclared_basis_is_named_with_the_store_setting(includes: bool, advice: str) -> None:
    warning = price_basis_warning(None, includes)
    assert warning is not None
    assert "pos_prices is not set" in warning and f"pos_prices = {advice}" in warning
