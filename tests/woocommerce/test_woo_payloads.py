"""The payload models accept real WooCommerce bodies, quirks included."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from tests.woocommerce.woo_helpers import golden

from storebridge.woocommerce import (
    BatchItemFailure,
    Customer,
    ErrorBody,
    Order,
    Product,
    Variation,
    Webhook,
    parse_money,
)


def _bodies(name: str) -> list[dict[str, Any]]:
    capture = golden(name)
    body = capture["delivery"]["body"] if capture.get("delivery") else capture["response"]["body"]
    return body if isinstance(body, list) else [body]


PRODUCTS = [
    "001",
    "002",
    "003",
    "006",
    "007",
    "010",
    "011",
    "014",
    "016",
    "017",
    "018",
    "019",
    "021",
    "022",
    "024",
    "026",
    "027",
    "031",
    "036",
    "037",
    "043",
    "044",
    "048",
    "049",
    "050",
    "051",
    "058",
    "131",
    "135",
]
VARIATIONS = ["046", "047", "105"]
ORDERS = [
    "059",
    "061",
    "063",
    "065",
    "066",
    "068",
    "070",
    "076",
    "077",
    "080",
    "082",
    "100",
    "104",
    "106",
    "107",
    "109",
    "119",
    "120",
    "129",
    "130",
    "133",
    "134",
]
CUSTOMERS = ["113", "116", "117", "118", "122"]
WEBHOOKS = ["124", "125", "126", "136", "137", "138", "141"]
ERRORS = [
    "012",
    "025",
    "029",
    "033",
    "055",
    "095",
    "099",
    "108",
    "110",
    "114",
    "127",
    "142",
    "150",
    "153",
    "154",
    "156",
    "157",
]


@pytest.mark.parametrize(
    ("model", "capture"),
    [(Product, n) for n in PRODUCTS]
    + [(Variation, n) for n in VARIATIONS]
    + [(Order, n) for n in ORDERS]
    + [(Customer, n) for n in CUSTOMERS]
    + [(Webhook, n) for n in WEBHOOKS]
    + [(ErrorBody, n) for n in ERRORS],
)
def test_every_real_body_parses_into_its_model(model: type[BaseModel], capture: str) -> None:
    bodies = _bodies(capture)

    parsed = [model.model_validate(body) for body in bodies]

    assert parsed
    for body, obj in zip(bodies, parsed, strict=True):
        if "id" in body:
            assert obj.id == body["id"]  # type: ignore[attr-defined]


def test_product_prices_become_decimals_and_blank_ones_none() -> None:
    product = Product.model_validate(_bodies("016")[0])

    assert product.regular_price == Decimal("22.00")
    assert product.sale_price == Decimal("18.00")
    assert product.price == product.sale_price
    assert product.on_sale is True
    cleared = Product.model_validate(_bodies("019")[0])
    assert cleared.sale_price is None  # "" from the store


def test_gmt_dates_become_aware_utc_and_local_ones_stay_raw() -> None:
    product = Product.model_validate(_bodies("017")[0])

    assert product.date_modified_gmt is not None
    assert product.date_modified_gmt.tzinfo is UTC
    assert product.date_on_sale_from_gmt == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert product.date_on_sale_to_gmt == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert product.date_on_sale_from == "2026-11-27T00:00:00"


def test_unmanaged_stock_is_none_and_extra_keys_are_kept() -> None:
    product = Product.model_validate(_bodies("024")[0])

    assert product.manage_stock is False
    assert product.stock_quantity is None
    assert product.model_extra is not None
    assert "price_html" in product.model_extra


def test_total_sales_may_be_the_string_zero() -> None:
    variation_as_product = Product.model_validate(_bodies("049")[0])

    assert variation_as_product.total_sales == 0
    assert variation_as_product.is_variation
    assert variation_as_product.attributes[0].option == "S"


def test_a_variation_may_inherit_stock_management_from_its_parent() -> None:
    body = dict(_bodies("047")[0], manage_stock="parent", stock_quantity=12)

    variation = Variation.model_validate(body)

    assert variation.manage_stock == "parent"
    assert variation.sku == "GLD-TEE"  # the parent's SKU shows through
    assert variation.parent_id == 735


def test_order_amounts_keep_real_world_types() -> None:
    order = Order.model_validate(_bodies("059")[0])

    line = order.line_items[0]
    assert line.price == Decimal("9")  # a JSON number in the line
    assert line.total == Decimal("18.00")
    assert order.coupon_lines[0].discount == Decimal("2")  # the string "2"
    assert order.fee_lines[0].amount is None  # ""
    assert order.fee_lines[0].total == Decimal("2.50")
    assert order.total == Decimal("25.50")
    assert order.number == "742"
    assert order.date_paid_gmt is None
    assert order.is_guest
    assert order.meta_value("external_ref") == "GOLD-0001"


def test_an_order_line_for_a_vanished_product_has_no_sku() -> None:
    order = Order.model_validate(_bodies("107")[0])

    line = order.line_items[0]
    assert line.sku is None
    assert line.product_id == 0
    assert line.price == Decimal("0")


def test_order_lines_expose_variation_stock_and_reduced_stock() -> None:
    order = Order.model_validate(_bodies("104")[0])

    line = order.line_items[0]
    assert (line.product_id, line.variation_id, line.stock_product_id) == (735, 736, 736)
    assert line.reduced_stock == 2
    assert Order.model_validate(_bodies("059")[0]).line_items[0].reduced_stock is None


def test_refund_totals_are_negative_decimals() -> None:
    order = Order.model_validate(_bodies("100")[0])

    assert order.refunds[0].total == Decimal("-9.00")
    assert order.line_items[0].reduced_stock == 1


def test_customers_and_webhooks_read_their_fields() -> None:
    customer = Customer.model_validate(_bodies("113")[0])
    webhook = Webhook.model_validate(_bodies("124")[0])

    assert customer.email == "jane@golden.example"
    assert customer.billing.city == "San Francisco"
    assert customer.shipping.email == ""
    assert webhook.topic == "order.created"
    assert webhook.date_modified_gmt is None


def test_error_bodies_expose_their_status_even_when_data_is_a_bare_number() -> None:
    assert ErrorBody.model_validate(_bodies("095")[0]).status == 500
    assert ErrorBody.model_validate(_bodies("033")[0]).status == 404


def test_batch_item_failures_parse_from_a_batch_answer() -> None:
    answer = _bodies("053")[0]

    failure = BatchItemFailure.model_validate(answer["create"][1])

    assert failure.id == 0
    assert failure.error.code == "product_invalid_sku"
    assert failure.error.data["resource_id"] == 726


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9.99", Decimal("9.99")),
        (9, Decimal("9")),
        (3.3, Decimal("3.3")),
        ("", None),
        (None, None),
        ("abc", None),
        ("NaN", None),
        (True, None),
        ("2", Decimal("2")),
    ],
)
def test_money_parsing_is_tolerant_but_exact(raw: object, expected: Decimal | None) -> None:
    assert parse_money(raw) == expected
