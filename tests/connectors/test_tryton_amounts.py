"""Tryton's line arithmetic and the unit price that reproduces WooCommerce's net and tax."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storebridge.connectors.tryton.amounts import line_amount, line_tax, unit_price_for
from storebridge.connectors.tryton.settings import TrytonSettings, rate_key

D = Decimal
TEN = D("0.1")


def test_tryton_rounds_half_even_where_woocommerce_rounds_half_up() -> None:
    assert line_tax(1, D("1.05"), TEN) == D("0.10")  # WooCommerce: 0.11
    assert line_tax(1, D("2.25"), TEN) == D("0.22")  # WooCommerce: 0.23
    assert line_amount(3, D("3.3333")) == D("10.00")


@pytest.mark.parametrize(
    ("net", "tax", "quantity", "price"),
    [
        ("30.00", "3.00", 3, "10.0000"),  # plain
        ("27.27", "2.73", 3, "9.0900"),  # prices entered with tax
        ("1.05", "0.11", 1, "1.0501"),  # a half-cent tax, steered up
        ("2.25", "0.23", 1, "2.2501"),
        ("-1.05", "-0.11", -1, "1.0501"),  # a return line
    ],
)
def test_the_unit_price_reproduces_woocommerces_net_and_tax(
    net: str, tax: str, quantity: int, price: str
) -> None:
    unit = unit_price_for(D(net), D(tax), quantity, TEN)
    assert unit == D(price)
    assert line_amount(quantity, unit) == D(net)
    assert line_tax(quantity, unit, TEN) == D(tax)


def test_an_untaxed_line_only_needs_its_amount() -> None:
    assert unit_price_for(D("10.00"), D(0), 3, None) == D("3.3333")


def test_figures_no_price_can_give_fall_back_to_the_plain_quotient() -> None:
    assert unit_price_for(D("10.00"), D("1.50"), 1, TEN) == D("10.0000")


def test_a_large_quantity_may_leave_no_price_and_the_read_back_decides() -> None:
    # 79 units: the 4th decimal moves the amount by 0.0079, past the half-cent that would
    # round Tryton's 10.685 tax up to WooCommerce's 10.69
    unit = unit_price_for(D("106.85"), D("10.69"), 79, TEN)
    assert (line_amount(79, unit), line_tax(79, unit, TEN)) == (D("106.85"), D("10.68"))


def test_a_line_needs_a_quantity() -> None:
    with pytest.raises(ValueError, match="quantity"):
        unit_price_for(D("1.00"), D(0), 0, None)


@given(
    cents=st.integers(min_value=1, max_value=10_000_00),
    quantity=st.integers(min_value=1, max_value=49),
    rate=st.sampled_from([D("0.05"), D("0.07"), D("0.1"), D("0.2"), D("0.21")]),
)
def test_any_woocommerce_line_below_fifty_units_is_reproduced(
    cents: int, quantity: int, rate: Decimal
) -> None:
    # Under 50 units a step of the 4th decimal moves the amount by less than half a cent,
    # so some price always lands in the half-cent WooCommerce's rounding leaves open.
    net = D(cents) / 100
    # WooCommerce: tax of the line total, half up
    tax = (net * rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    unit = unit_price_for(net, tax, quantity, rate)
    assert (line_amount(quantity, unit), line_tax(quantity, unit, rate)) == (net, tax)


def test_rates_are_keyed_as_canonical_percentages() -> None:
    assert [rate_key(r) for r in ("10", "10.0000", " 5.50 % ", D("20.0"), "0")] == [
        "10",
        "10",
        "5.5",
        "20",
        "0",
    ]
    for bad in ("ten", "-1", "NaN"):
        with pytest.raises(ValueError, match="not a tax rate"):
            rate_key(bad)


def test_the_taxes_table_refuses_duplicate_rates_and_empty_names() -> None:
    base = {"url": "http://erp:8000", "database": "d", "password": "p", "web_shop": "Web"}
    settings = TrytonSettings.model_validate({**base, "taxes": {"10.0000": "VAT", "5.5": 3}})
    assert settings.taxes == {"10": "VAT", "5.5": 3}
    with pytest.raises(ValueError, match="twice"):
        TrytonSettings.model_validate({**base, "taxes": {"10": "VAT", "10.0": "VAT"}})
    with pytest.raises(ValueError, match="empty"):
        TrytonSettings.model_validate({**base, "taxes": {"10": " "}})
