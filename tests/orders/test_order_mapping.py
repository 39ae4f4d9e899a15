"""The order mapper on real WooCommerce bodies (golden captures) and on taxed variants."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from tests.orders.orders_helpers import golden_order

from storebridge.errors import TotalsMismatch
from storebridge.sync.export.order_mapping import (
    Refund,
    credit_for_cancel,
    credit_for_refund,
    credit_key,
    customer_of,
    map_order,
    normalise_email,
    order_key,
)
from storebridge.woocommerce import Order

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def order(name: str) -> Order:
    return Order.model_validate(golden_order(name))


def balance(document: Any) -> Decimal:
    return (
        sum(line.total for line in document.lines)
        + sum(charge.total for charge in document.charges)
        + document.tax_total
    )


@pytest.mark.parametrize("name", ["059", "065", "104", "119", "120"])
def test_every_golden_order_maps_to_a_document_that_balances_to_the_cent(name: str) -> None:
    body = order(name)
    document = map_order(body, store="main", known_skus={"GLD-STK", "gld-tee-s"})
    assert document.total == Decimal(str(golden_order(name)["total"]))
    assert balance(document) == document.total
    assert document.idempotency_key == f"main:{body.id}"


def test_coupon_fee_shipping_note_and_payment_travel_with_the_order() -> None:
    document = map_order(order("065"), store="main", known_skus={"GLD-STK"})
    assert document.coupons == ("golden10",)
    assert document.discount_total == Decimal("2.00")
    (line,) = document.lines
    # The 10 % coupon is already inside the line total: 2 x 10.00 - 2.00.
    assert (line.sku, line.quantity, line.subtotal, line.total) == (
        "GLD-STK",
        2,
        Decimal("20.00"),
        Decimal("18.00"),
    )
    assert line.unit_price == Decimal("9.00")
    assert line.known_to_pos
    kinds = [(c.kind, c.name, c.total) for c in document.charges]
    assert kinds == [
        ("shipping", "Flat rate", Decimal("5.00")),
        ("fee", "Gift wrap", Decimal("2.50")),
    ]
    assert document.charges[0].method_id == "flat_rate"
    assert document.customer_note == "Please gift wrap."
    assert (document.payment_method, document.payment_method_title) == (
        "bacs",
        "Direct bank transfer",
    )
    assert document.number == "742"
    assert document.status == "completed"
    assert document.completed_at is not None
    assert document.customer.shipping.address_1 == "2 Shipping St"
    assert document.customer.billing.city == "San Francisco"
    assert document.flags == ()


def test_a_line_the_pos_does_not_know_is_exported_as_non_inventory_and_flagged() -> None:
    document = map_order(order("065"), store="main", known_skus=set())
    (line,) = document.lines
    assert not line.known_to_pos
    assert document.flags == ("unknown_sku:GLD-STK",)


def test_a_line_without_sku_is_flagged_with_its_line_id() -> None:
    body = golden_order("065")
    body["line_items"][0]["sku"] = None
    body["line_items"][0]["product_id"] = 0
    document = map_order(Order.model_validate(body), store="main", known_skus={"GLD-STK"})
    assert document.flags == ("no_sku:59",)
    assert document.lines[0].sku is None


def test_variation_lines_keep_their_own_sku() -> None:
    document = map_order(order("104"), store="main", known_skus={"GLD-TEE-S"})
    assert [(line.sku, line.quantity, line.known_to_pos) for line in document.lines] == [
        ("GLD-TEE-S", 2, True)
    ]


def test_a_guest_checkout_exports_with_its_billing_email_normalised() -> None:
    body = golden_order("119")
    body["billing"]["email"] = "  Jane@Golden.EXAMPLE "
    customer = customer_of(Order.model_validate(body))
    assert customer.is_guest
    assert customer.email == "jane@golden.example"
    assert (customer.first_name, customer.last_name) == ("Gold", "Buyer")
    assert normalise_email(None) == ""


def test_a_registered_customer_keeps_its_woocommerce_id() -> None:
    customer = customer_of(order("120"))
    assert customer.woo_customer_id == 5
    assert not customer.is_guest
    assert customer.email == "jane@golden.example"


def taxed() -> dict[str, Any]:
    """Golden 065 with 20 % tax on the line and the shipping, as a taxed store renders it."""
    body = copy.deepcopy(golden_order("065"))
    body["line_items"][0].update(subtotal_tax="4.00", total_tax="3.60")
    body["shipping_lines"][0].update(total_tax="1.00")
    body.update(cart_tax="3.60", shipping_tax="1.00", total_tax="4.60", total="30.10")
    return body


def test_taxes_are_carried_per_line_and_in_total_and_balance() -> None:
    document = map_order(Order.model_validate(taxed()), store="main", known_skus={"GLD-STK"})
    assert document.lines[0].tax == Decimal("3.60")
    assert document.charges[0].tax == Decimal("1.00")
    assert document.tax_total == Decimal("4.60")
    assert balance(document) == document.total == Decimal("30.10")


def test_totals_that_do_not_balance_raise_a_mismatch_naming_the_difference() -> None:
    body = taxed()
    body["total"] = "30.15"
    with pytest.raises(TotalsMismatch) as raised:
        map_order(Order.model_validate(body), store="main", known_skus={"GLD-STK"})
    assert raised.value.expected == Decimal("30.15")
    assert raised.value.computed == Decimal("30.10")
    assert "-0.05" in str(raised.value)
    assert "order 742" in str(raised.value)


def test_keys_name_the_store_the_order_and_the_credit() -> None:
    assert order_key("main", 742) == "main:742"
    assert credit_key("main", 742, 750) == "main:742:credit:750"
    assert credit_key("main", 742, None) == "main:742:credit:cancel"


def refund() -> Refund:
    return Refund.model_validate(
        {
            "id": 750,
            "reason": "Golden partial refund",
            "amount": "9.00",
            "date_created_gmt": "2026-11-26T19:30:00",
            "line_items": [
                {
                    "id": 77,
                    "name": "Golden Stocked",
                    "product_id": 741,
                    "quantity": -1,
                    "total": "-9.00",
                    "subtotal": "-9.00",
                    "sku": None,
                    "meta_data": [{"key": "_refunded_item_id", "value": "59"}],
                }
            ],
        }
    )


def test_a_refund_credits_its_lines_with_the_sku_of_the_original_line() -> None:
    credit = credit_for_refund(
        order("100"), refund(), store="main", original_pos_ref="INV-1", at=AT
    )
    assert credit.idempotency_key == "main:742:credit:750"
    assert credit.original_pos_ref == "INV-1"
    assert credit.total == Decimal("9.00")
    assert [(line.sku, line.quantity, line.total, line.woo_line_id) for line in credit.lines] == [
        ("GLD-STK", 1, Decimal("9.00"), 59)
    ]
    assert credit.reason == "Golden partial refund"


def test_a_cancellation_credits_what_refunds_left_open() -> None:
    body = order("100")
    credit = credit_for_cancel(body, [refund()], store="main", original_pos_ref="INV-1", at=AT)
    assert credit.idempotency_key == "main:742:credit:cancel"
    assert credit.total == Decimal("16.50")  # 25.50 - 9.00 already refunded
    assert [(line.sku, line.quantity, line.total) for line in credit.lines] == [
        ("GLD-STK", 1, Decimal("9.00"))
    ]


def test_a_cancellation_without_refunds_credits_every_line_and_the_whole_total() -> None:
    credit = credit_for_cancel(order("065"), [], store="main", original_pos_ref="INV-1", at=AT)
    assert credit.total == Decimal("25.50")
    assert [(line.sku, line.quantity) for line in credit.lines] == [("GLD-STK", 2)]
