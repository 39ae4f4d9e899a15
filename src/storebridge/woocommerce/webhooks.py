"""Receiving WooCommerce webhook deliveries (woocommerce-rest-api.md §8.2).

A delivery is a POST whose body is the resource as `GET /<resource>s/<id>`
renders it *at delivery time* (so treat it as a hint to re-fetch), signed
with `X-WC-Webhook-Signature = base64(HMAC-SHA256(secret, raw body))`.
Verify the signature on the exact raw bytes, before parsing any JSON, with a
constant-time comparison.

Right after a webhook is created, WooCommerce sends one *ping*: a
form-encoded body `webhook_id=<id>`, no `X-WC-*` headers and no signature.
The receiver must answer it with 200; `parse_ping` recognises it.

WooCommerce keys the HMAC with the secret after `wp_specialchars_decode`, so
a secret containing `&amp;`-style entities would not verify: StoreBridge
generates plain alphanumeric secrets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from pydantic import SecretStr

__all__ = ["WebhookHeaders", "parse_ping", "parse_webhook_headers", "verify_signature"]


@dataclass(frozen=True, slots=True)
class WebhookHeaders:
    """The `X-WC-Webhook-*` headers of a delivery (empty strings when absent)."""

    topic: str = ""
    resource: str = ""
    event: str = ""
    webhook_id: int | None = None
    delivery_id: str = ""
    signature: str = ""
    source: str = ""

    @property
    def is_signed_delivery(self) -> bool:
        """Whether this looks like a real delivery (topic and signature present)."""
        return bool(self.topic and self.signature)


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    return ""


def parse_webhook_headers(headers: Mapping[str, str]) -> WebhookHeaders:
    """Read the `X-WC-Webhook-*` headers, whatever their letter case."""
    raw_id = _header(headers, "X-WC-Webhook-ID")
    return WebhookHeaders(
        topic=_header(headers, "X-WC-Webhook-Topic"),
        resource=_header(headers, "X-WC-Webhook-Resource"),
        event=_header(headers, "X-WC-Webhook-Event"),
        webhook_id=int(raw_id) if raw_id.isdigit() else None,
        delivery_id=_header(headers, "X-WC-Webhook-Delivery-ID"),
        signature=_header(headers, "X-WC-Webhook-Signature"),
        source=_header(headers, "X-WC-Webhook-Source"),
    )


def _to_bytes(value: str | bytes | SecretStr) -> bytes:
    if isinstance(value, SecretStr):
        return value.get_secret_value().encode()
    return value.encode() if isinstance(value, str) else value


def verify_signature(
    secret: str | bytes | SecretStr, raw_body: bytes | str, header_value: str | None
) -> bool:
    """Whether `header_value` is base64(HMAC-SHA256(secret, raw_body)).

    Args:
        secret: the webhook secret StoreBridge set when creating the webhook.
        raw_body: the body exactly as received (not re-serialised JSON).
        header_value: the `X-WC-Webhook-Signature` header, or None when absent.
    """
    if not header_value:
        return False
    key = _to_bytes(secret)
    if not key:
        return False
    digest = hmac.new(key, _to_bytes(raw_body), hashlib.sha256).digest()
    expected = base64.b64encode(digest)
    return hmac.compare_digest(expected, header_value.strip().encode())


def parse_ping(headers: Mapping[str, str], raw_body: bytes | str) -> int | None:
    """The webhook id of a ping delivery, or None when this is not a ping.

    A ping has no `X-WC-Webhook-Topic` header and a form body `webhook_id=<id>`.
    """
    if _header(headers, "X-WC-Webhook-Topic"):
        return None
    text = raw_body.decode("utf-8", "replace") if isinstance(raw_body, bytes) else raw_body
    fields = parse_qs(text.strip(), keep_blank_values=True)
    values = fields.get("webhook_id")
    if set(fields) != {"webhook_id"} or not values or len(values) != 1:
        return None
    value = values[0].strip()
    return int(value) if value.isdigit() else None
