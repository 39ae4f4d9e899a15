"""Webhook deliveries: signatures of real captures, header parsing, ping detection."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from tests.woocommerce.woo_helpers import golden

from storebridge.woocommerce import (
    Order,
    Product,
    parse_ping,
    parse_webhook_headers,
    verify_signature,
)

SECRET = "whsec_realwoo_test"


@pytest.mark.parametrize("capture", ["133", "134", "135"])
def test_real_deliveries_verify_with_their_secret(capture: str) -> None:
    delivery = golden(capture)["delivery"]
    headers = parse_webhook_headers(delivery["headers"])

    assert verify_signature(SECRET, delivery["body_raw"].encode(), headers.signature)
    assert verify_signature(SecretStr(SECRET), delivery["body_raw"], headers.signature)
    assert headers.is_signed_delivery
    assert parse_ping(delivery["headers"], delivery["body_raw"]) is None


@pytest.mark.parametrize("capture", ["133", "135"])
def test_a_tampered_body_a_wrong_secret_or_a_missing_header_fails(capture: str) -> None:
    delivery = golden(capture)["delivery"]
    signature = delivery["headers"]["X-WC-Webhook-Signature"]
    raw = delivery["body_raw"].encode()

    assert not verify_signature(SECRET, raw.replace(b'"id":', b'"id": ', 1), signature)
    assert not verify_signature("whsec_other", raw, signature)
    assert not verify_signature(SECRET, raw, None)
    assert not verify_signature(SECRET, raw, "")
    assert not verify_signature("", raw, signature)


def test_the_documented_vector_verifies() -> None:
    body = b'{"id":42,"sku":"ABC\\/1"}'

    assert verify_signature("whsec_demo", body, "IK7W319Ky86UQ8KKzONGrNfYhqSf0ye3GBr/+wmsAEk=")


def test_headers_are_parsed_whatever_their_case() -> None:
    delivery = golden("134")["delivery"]
    lowered = {k.lower(): v for k, v in delivery["headers"].items()}

    headers = parse_webhook_headers(lowered)

    assert headers.topic == "order.updated"
    assert (headers.resource, headers.event) == ("order", "updated")
    assert headers.webhook_id == 17
    assert headers.delivery_id == "9520b0671de72e6cbc874744722bf09d"
    assert headers.source == "http://127.0.0.1:8080/"


def test_coalesced_deliveries_share_one_body_and_signature() -> None:
    created = golden("133")["delivery"]
    updated = golden("134")["delivery"]

    assert created["body_raw"] == updated["body_raw"]
    assert (
        created["headers"]["X-WC-Webhook-Signature"] == updated["headers"]["X-WC-Webhook-Signature"]
    )
    assert created["headers"]["X-WC-Webhook-Topic"] != updated["headers"]["X-WC-Webhook-Topic"]


def test_payloads_parse_as_the_resource_models() -> None:
    order = Order.model_validate(golden("133")["delivery"]["body"])
    product = Product.model_validate(golden("135")["delivery"]["body"])

    assert order.id == 757
    assert order.status == "completed"  # built at delivery time, not at creation
    assert product.id > 0


def test_the_ping_is_recognised_and_carries_no_signature() -> None:
    delivery = golden("132")["delivery"]
    headers = parse_webhook_headers(delivery["headers"])

    assert parse_ping(delivery["headers"], delivery["body_raw"]) == 16
    assert parse_ping(delivery["headers"], delivery["body_raw"].encode()) == 16
    assert not headers.is_signed_delivery
    assert not verify_signature(SECRET, delivery["body_raw"], headers.signature or None)


@pytest.mark.parametrize(
    "body", ["webhook_id=", "webhook_id=abc", "webhook_id=1&x=2", '{"webhook_id": 1}', ""]
)
def test_other_unsigned_bodies_are_not_pings(body: str) -> None:
    assert parse_ping({"Content-Type": "application/x-www-form-urlencoded"}, body) is None
