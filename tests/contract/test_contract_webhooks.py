"""Contract: webhook management, and (sandbox) signed deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from tests.contract.conftest import sandbox_only
from tests.contract.contract_support import Store

LISTENER = "http://127.0.0.1:9/contract-listener"
SECRET = "whsec_contract"


async def test_a_webhook_never_echoes_its_secret(store: Store) -> None:
    created = await store.create(
        "/webhooks",
        {"name": "contract", "topic": "order.updated", "delivery_url": LISTENER, "secret": SECRET},
    )
    assert "secret" not in created
    assert (created["status"], created["resource"], created["event"]) == (
        "active",
        "order",
        "updated",
    )


async def test_bad_topics_urls_and_statuses_are_refused(store: Store) -> None:
    topic = await store.client.post(
        "/webhooks", json={"topic": "order.shipped", "delivery_url": LISTENER}
    )
    assert topic.json()["code"] == "woocommerce_rest_shop_webhook_invalid_topic"
    url = await store.client.post(
        "/webhooks", json={"topic": "order.created", "delivery_url": "ftp://x/y"}
    )
    assert url.json()["code"] == "woocommerce_rest_shop_webhook_invalid_delivery_url"
    created = await store.create(
        "/webhooks", {"topic": "order.created", "delivery_url": LISTENER, "secret": SECRET}
    )
    status = await store.client.put(f"/webhooks/{created['id']}", json={"status": "sleeping"})
    assert status.json()["data"]["details"]["status"]["code"] == "rest_not_in_enum"
    paused = await store.client.put(f"/webhooks/{created['id']}", json={"status": "paused"})
    assert paused.json()["status"] == "paused"


async def test_deleting_a_webhook_needs_force(store: Store) -> None:
    created = await store.create(
        "/webhooks", {"topic": "product.updated", "delivery_url": LISTENER, "secret": SECRET}
    )
    refused = await store.client.delete(f"/webhooks/{created['id']}")
    assert refused.status_code == 501
    done = await store.client.delete(f"/webhooks/{created['id']}", params={"force": "true"})
    assert done.status_code == 200


async def test_deliveries_are_signed_and_carry_the_current_state(store: Store) -> None:
    sandbox_only(store, "a real store needs a listener it can reach; run this on the sandbox")
    assert store.flush_webhooks is not None
    await store.create(
        "/webhooks", {"topic": "product.updated", "delivery_url": LISTENER, "secret": SECRET}
    )
    product = await store.create("/products", {"name": "Hooked", "sku": store.sku("HOOK")})
    for price in ("1.00", "2.00", "3.00"):
        await store.client.put(f"/products/{product['id']}", json={"regular_price": price})
    await store.flush_webhooks()
    ping, *deliveries = store.received
    assert ping.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert [d.headers["X-WC-Webhook-Topic"] for d in deliveries] == ["product.updated"]
    delivery = deliveries[0]
    digest = hmac.new(SECRET.encode(), delivery.content, hashlib.sha256).digest()
    assert delivery.headers["X-WC-Webhook-Signature"] == base64.b64encode(digest).decode()
    assert json.loads(delivery.content)["price"] == "3.00"
