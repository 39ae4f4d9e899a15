"""The money breakdown of exported documents: net, tax, gross and rate, balanced to the cent.

Real taxed orders and refunds (goldens 170-188, a WooCommerce 10.0.2 store
with a 10 % rate) and generated orders whose figures follow WooCommerce's
arithmetic (tax per line, half up) feed the pure mapper.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.orders.orders_helpers import golden_order

from storebridge.domain.model import document_sum
from storebridge.errors import TotalsMismatch
from storebridge.sync.export.order_mapping import (
    Refund,
    credit_for_cancel,
    credit_for_refund,
    map_order,
)
from storebridge.woocommerce import Order

AT = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)
CENT = Decimal("0.01")
TEN = Decimal(10)


def _map(body: dict[str, Any]) -> Any:
    return map_order(Order.model_validate(body), store="main", known_skus={"GLDTAX-A"})


def _breakdown(line: Any) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return line.total, line.tax, line.gross, line.tax_rate


@pytest.mark.parametrize("name", ["170", "171", "172", "173", "175", "178", "179", "187"])
def test_every_taxed_golden_order_balances_in_gross_and_in_tax(name: str) -> None:
    body = golden_order(name)
    document = _map(body)
    assert document_sum(document.lines, document.charges) == Decimal(body["total"])
    assert document.tax_total == Decimal(body["total_tax"])
    assert document.net_total + document.tax_total == document.total
    for line in (*document.lines, *document.charges):
        assert line.gross == line.total + line.tax


def test_prices_with_tax_export_net_tax_gross_and_rate_per_line() -> None:
    document = _map(golden_order("178"))
    [line] = document.lines
    assert _breakdown(line) == (Decimal("27.27"), Decimal("2.73"), Decimal("30.00"), TEN)
    assert line.unit_price == Decimal("9.09") and line.subtotal_tax == Decimal("2.73")
    [shipping] = document.charges
    assert _breakdown(shipping) == (Decimal("5.00"), Decimal("0.50"), Decimal("5.50"), TEN)
    assert document.prices_include_tax is True
    [tax] = document.taxes
    assert (tax.rate, tax.tax, tax.shipping_tax, tax.label) == (
        TEN,
        Decimal("2.73"),
        Decimal("0.50"),
        "Golden Tax",
    )


def test_a_coupon_on_gross_prices_keeps_each_line_balanced() -> None:
    document = _map(golden_order("179"))
    assert [_breakdown(line) for line in document.lines] == [
        (Decimal("24.55"), Decimal("2.45"), Decimal("27.00"), TEN),
        (Decimal("16.36"), Decimal("1.64"), Decimal("18.00"), TEN),
    ]
    assert (document.discount_total, document.discount_tax) == (Decimal("4.54"), Decimal("0.45"))
    fee = document.charges[1]
    assert (fee.kind, *_breakdown(fee)) == (
        "fee",
        Decimal("3.00"),
        Decimal("0.30"),
        Decimal("3.30"),
        TEN,
    )


def test_an_untaxed_fee_has_rate_zero() -> None:
    document = _map(golden_order("172"))
    wrap = next(c for c in document.charges if c.name == "Gift wrap")
    assert _breakdown(wrap) == (Decimal("2.50"), Decimal("0.00"), Decimal("2.50"), Decimal(0))


def test_taxes_rounded_for_the_whole_order_are_refused_with_the_difference() -> None:
    # A store rounding at subtotal level: the lines show 0.11 + 0.23 + 0.02 = 0.36,
    # the order round(0.105 + 0.225 + 0.015) = 0.35.
    body = copy.deepcopy(golden_order("171"))
    body["total_tax"] = body["cart_tax"] = "0.35"
    body["total"] = "3.80"
    with pytest.raises(TotalsMismatch) as raised:
        _map(body)
    assert "by 0.01" in str(raised.value)
    assert raised.value.what == "tax"


def _refund(number: str) -> Refund:
    return Refund.model_validate(golden_order(number))


def test_a_taxed_refund_credits_net_tax_and_gross() -> None:
    order = Order.model_validate(golden_order("178"))
    credit = credit_for_refund(order, _refund("182"), store="main", original_pos_ref="I", at=AT)
    [line] = credit.lines
    assert (line.quantity, *_breakdown(line)) == (
        1,
        Decimal("9.09"),
        Decimal("0.91"),
        Decimal("10.00"),
        TEN,
    )
    assert (credit.total, credit.tax_total) == (Decimal("10.00"), Decimal("0.91"))


def test_a_refund_whose_lines_miss_its_amount_is_refused_with_the_difference() -> None:
    order = Order.model_validate(golden_order("178"))
    body = golden_order("182")
    body["amount"] = "12.00"
    refund = Refund.model_validate(body)
    with pytest.raises(TotalsMismatch) as raised:
        credit_for_refund(order, refund, store="main", original_pos_ref="I", at=AT)
    assert "credit" in str(raised.value) and "by -2.00" in str(raised.value)


def test_a_cancellation_after_taxed_refunds_credits_the_rest_with_its_tax() -> None:
    order = Order.model_validate(golden_order("187"))
    refunds = [_refund("182"), _refund("184")]
    credit = credit_for_cancel(order, refunds, store="main", original_pos_ref="I", at=AT)
    [line] = credit.lines
    # 27.27 + 2.73 for 3 units, two refunded at 9.09 + 0.91 each.
    assert (line.quantity, *_breakdown(line)) == (
        1,
        Decimal("9.09"),
        Decimal("0.91"),
        Decimal("10.00"),
        TEN,
    )
    assert [_breakdown(c) for c in credit.charges] == [
        (Decimal("5.00"), Decimal("0.50"), Decimal("5.50"), TEN)
    ]
    assert credit.total == Decimal("15.50")  # 35.50 - 2 x 10.00


def test_an_amount_only_refund_is_deducted_from_the_cancellation() -> None:
    order = Order.model_validate(golden_order("178"))
    goodwill = Refund.model_validate({"id": 9, "amount": "4.00", "line_items": []})
    credit = credit_for_cancel(order, [goodwill], store="main", original_pos_ref="I", at=AT)
    assert credit.total == Decimal("31.50")
    assert credit.charges[-1].total == Decimal("-4.00")
    assert document_sum(credit.lines, credit.charges) == credit.total


# -- generated orders -------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def _tax(net: Decimal, rate: Decimal) -> Decimal:
    return _cents(net * rate / 100)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
rates = st.sampled_from([Decimal(0), Decimal("5.5"), TEN, Decimal(19), Decimal(21)])


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    """An order as WooCommerce computes it: tax per line and rate, half up."""
    rate = draw(rates)
    tax_lines = [{"id": 90, "rate_id": 1, "label": "VAT", "rate_percent": float(rate)}]
    lines = []
    for number in range(draw(st.integers(1, 4))):
        quantity = draw(st.integers(1, 5))
        subtotal = draw(amounts)
        total = subtotal - _cents(subtotal * draw(st.integers(0, 50)) / 100)  # a discount
        lines.append(
            {
                "id": number + 1,
                "name": f"Item {number}",
                "sku": "GLDTAX-A",
                "quantity": quantity,
                "subtotal": str(subtotal),
                "subtotal_tax": str(_tax(subtotal, rate)),
                "total": str(total),
                "total_tax": str(_tax(total, rate)),
                "taxes": [{"id": 1, "total": str(_tax(total, rate)), "subtotal": ""}],
            }
        )
    shipping = draw(st.lists(amounts, max_size=1))
    fees = draw(st.lists(amounts, max_size=2))
    shipping_lines = [
        {"id": 10, "method_id": "flat_rate", "total": str(s), "total_tax": str(_tax(s, rate))}
        for s in shipping
    ]
    fee_lines = [
        {"id": 20 + i, "name": "Fee", "total": str(f), "total_tax": str(_tax(f, rate))}
        for i, f in enumerate(fees)
    ]
    taxes = [Decimal(x["total_tax"]) for x in [*lines, *shipping_lines, *fee_lines]]
    nets = [Decimal(x["total"]) for x in [*lines, *shipping_lines, *fee_lines]]
    return {
        "id": 500,
        "status": "completed",
        "currency": "EUR",
        "prices_include_tax": draw(st.booleans()),
        "date_created_gmt": "2026-12-02T10:00:00",
        "line_items": lines,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "tax_lines": tax_lines,
        "total": str(sum(nets) + sum(taxes)),
        "total_tax": str(sum(taxes)),
    }


@settings(max_examples=150, deadline=None)
@given(orders())
def test_generated_orders_balance_line_by_line(body: dict[str, Any]) -> None:
    document = _map(body)
    assert document_sum(document.lines, document.charges) == document.total
    assert document.total == Decimal(body["total"])
    assert document.tax_total == Decimal(body["total_tax"])
    rate = Decimal(str(body["tax_lines"][0]["rate_percent"]))
    for line in document.lines:
        assert line.tax_rate == (rate if line.tax else 0)


@settings(max_examples=100, deadline=None)
@given(orders(), st.integers(min_value=-500, max_value=500).filter(bool))
def test_any_difference_from_the_total_is_refused_and_named(
    body: dict[str, Any], cents: int
) -> None:
    expected = Decimal(body["total"]) + Decimal(cents) / 100
    body = {**body, "total": str(expected)}
    with pytest.raises(TotalsMismatch) as raised:
        _map(body)
    assert raised.value.computed - raised.value.expected == Decimal(-cents) / 100


@settings(max_examples=100, deadline=None)
@given(orders(), st.data())
def test_refunds_and_the_cancellation_credit_add_up_to_the_order(
    body: dict[str, Any], data: st.DataObject
) -> None:
    """Whatever was refunded line by line, the credits together give back the whole order."""
    order = Order.model_validate(body)
    refund_lines = []
    for line in body["line_items"]:
        units = data.draw(st.integers(0, line["quantity"] - 1))
        if units:
            net = _cents(Decimal(line["total"]) * units / line["quantity"])
            tax = _cents(Decimal(line["total_tax"]) * units / line["quantity"])
            refund_lines.append(
                {
                    "id": 100 + line["id"],
                    "quantity": -units,
                    "total": str(-net),
                    "total_tax": str(-tax),
                    "taxes": [{"id": 1, "total": str(-tax)}],
                    "meta_data": [{"key": "_refunded_item_id", "value": str(line["id"])}],
                }
            )
    gross = sum((-Decimal(x["total"]) - Decimal(x["total_tax"]) for x in refund_lines), Decimal(0))
    goodwill = data.draw(st.sampled_from([Decimal(0), Decimal("1.00")]))
    refunds = [Refund.model_validate({"id": 7, "amount": str(gross), "line_items": refund_lines})]
    if goodwill and goodwill <= Decimal(body["total"]) - gross:
        refunds.append(Refund.model_validate({"id": 8, "amount": str(goodwill)}))
    credits = [
        credit_for_refund(order, r, store="main", original_pos_ref="I", at=AT) for r in refunds
    ]
    cancel = credit_for_cancel(order, refunds, store="main", original_pos_ref="I", at=AT)
    assert document_sum(cancel.lines, cancel.charges) == cancel.total
    assert sum((c.total for c in credits), cancel.total) == Decimal(body["total"])
    assert sum((c.tax_total for c in credits), cancel.tax_total) == Decimal(body["total_tax"])
    units = sum((line.quantity for c in [*credits, cancel] for line in c.lines), 0)
    assert units == sum(line["quantity"] for line in body["line_items"])
