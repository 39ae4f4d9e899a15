"""The POS's price basis against WooCommerce's price entry setting."""

from __future__ import annotations

import pytest

from storebridge.domain.price_basis import price_basis_warning, price_entry_mismatch


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


def _tax_settings(value: object) -> list[dict[str, object]]:
    """A GET /settings/tax body as WooCommerce answers it (other entries around ours)."""
    return [
        {"id": "woocommerce_tax_round_at_subtotal", "value": "no"},
        {"id": "woocommerce_prices_include_tax", "value": value},
        {"id": "woocommerce_tax_display_cart", "value": "excl"},
    ]


@pytest.mark.parametrize(
    ("pos", "value", "mismatch"),
    [("gross", "yes", False), ("net", "no", False), ("gross", "no", True), ("net", "yes", True)],
)
def test_the_store_settings_body_is_judged_like_the_flag(
    pos: str, value: str, mismatch: bool
) -> None:
    warning = price_entry_mismatch(pos, _tax_settings(value))  # type: ignore[arg-type]
    assert (warning is not None) is mismatch
    assert warning == price_basis_warning(pos, value == "yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [_tax_settings("maybe"), [], {"code": "rest_no_route"}, None])
def test_a_body_that_does_not_say_is_a_warning(body: object) -> None:
    warning = price_entry_mismatch("net", body)
    assert warning is not None and "woocommerce_prices_include_tax" in warning
